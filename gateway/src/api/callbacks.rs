//! `POST|GET /v1/callbacks/{adapter_instance}`: provider delivery reports, for a
//! configured instance or a connection (`/v1/callbacks/{connection_id}`, verified with
//! that connection's own current secret).
//!
//! The raw request goes to the adapter, which checks the provider's own signature and
//! parses status updates; each update moves the matching message forward and lands in
//! its history. Reports for messages we do not know are acknowledged and counted, so a
//! provider never retries them forever. Not behind the API key: providers sign instead.

use crate::error::{ApiError, ErrorCode};
use crate::flows::channels;
use crate::flows::reports::apply_updates;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use gateway_sdk::{CallbackError, CallbackRequest};
use serde_json::json;

/// The URL the provider called, as it signed it: the configured public URL (what we
/// handed the provider) plus path and query, else what the request says.
fn public_url(state: &AppState, req: &HttpRequest) -> String {
    let path_and_query = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    match &state.config.server.public_url {
        Some(base) => format!("{}{path_and_query}", base.trim_end_matches('/')),
        None => {
            let info = req.connection_info();
            format!("{}://{}{path_and_query}", info.scheme(), info.host())
        }
    }
}

/// Receives one provider callback.
#[utoipa::path(post, path = "/v1/callbacks/{adapter_instance}", tag = "providers",
    params(("adapter_instance" = String, Path, description = "Adapter instance name or connection id")),
    responses((status = 200, description = "Accepted (also for unknown messages)"), (status = 401, description = "`invalid_signature`"),
        (status = 400, description = "`malformed_callback`"), (status = 404, description = "`adapter_not_found`, `callbacks_not_supported`")))]
pub async fn receive(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let name = path.into_inner();
    let resolved = channels::resolve(&state, &name).await.map_err(|e| {
        tracing::warn!(adapter = %name, error = %e, "callback for an unusable connection");
        ApiError::new(ErrorCode::ConnectionUnavailable, format!("Connection `{name}` cannot verify callbacks now: {e}. An operator must fix its settings or the [secrets] keys."))
            .with("retry_after", 60)
    })?;
    let adapter = resolved.ok_or_else(|| {
        ApiError::new(ErrorCode::AdapterNotFound, format!("No adapter instance or connection is named `{name}`; point the provider's callback URL at /v1/callbacks/<instance or connection id>."))
    })?;
    let request = CallbackRequest {
        method: req.method().to_string(),
        url: public_url(&state, &req),
        headers: req
            .headers()
            .iter()
            .filter_map(|(k, v)| {
                v.to_str()
                    .ok()
                    .map(|v| (k.as_str().to_ascii_lowercase(), v.to_owned()))
            })
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
        received_at: state.clock.now(),
    };
    let outcome = adapter.parse_callback(&request).map_err(|e| match e {
        CallbackError::Signature { message } => {
            tracing::warn!(adapter = %name, reason = %message, "callback signature refused");
            ApiError::new(ErrorCode::InvalidSignature, format!("The callback's signature does not verify ({message}); check the credentials configured for `{name}`."))
        }
        CallbackError::Malformed { message } => ApiError::new(ErrorCode::MalformedCallback, format!("The callback could not be parsed: {message}.")),
        CallbackError::Unsupported => ApiError::new(ErrorCode::CallbacksNotSupported, format!("Adapter instance `{name}` does not take callbacks.")),
        CallbackError::Internal { message } => {
            tracing::error!(adapter = %name, error = %message, "adapter failed parsing a callback");
            ApiError::internal()
        }
    })?;
    let label = adapter.metric_label();
    let done = apply_updates(&state, &name, label, &outcome.updates, true).await?;
    if let Some(reply) = outcome.reply {
        let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
        return Ok(HttpResponse::build(status)
            .content_type(reply.content_type)
            .body(reply.body));
    }
    Ok(HttpResponse::Ok().json(
        json!({ "received": outcome.updates.len(), "applied": done.applied,
            "duplicates": done.duplicates, "unknown": done.unknown.len(),
            "late_fallbacks": done.fallbacks.len() }),
    ))
}
