//! `POST /v1/messages` (the caller made the code) and `GET /v1/messages/{id}`.

use crate::error::{ApiError, ErrorCode};
use crate::flows::Purpose;
use crate::flows::prepare::{self, SendInput};
use crate::flows::record::MessageRecord;
use crate::flows::send::{self, DispatchInput};
use crate::http::idempotency;
use crate::http::json::JsonBody;
use crate::state::AppState;
use crate::store::{Ns, get_json};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use std::net::IpAddr;
use utoipa::ToSchema;

/// The body of `POST /v1/messages`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageInput {
    /// Location id.
    pub location_id: String,
    /// Client phone, E.164 or national form (with the location's country).
    pub phone: String,
    /// The code to deliver: 4 to 10 letters or digits. Never echoed back.
    pub code: String,
    /// `login` or `booking`.
    pub purpose: Purpose,
    /// The end client's IP address as the widget saw it (for rate limits).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub client_ip: Option<IpAddr>,
}

/// Checks a caller-made code.
pub fn check_code(code: &str) -> Result<(), ApiError> {
    let ok = (4..=10).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid_field(
            "code",
            "`code` must be 4 to 10 letters or digits.",
        ))
    }
}

/// Sends a code the caller made.
#[utoipa::path(post, path = "/v1/messages", tag = "messages", request_body = MessageInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 201, description = "Accepted by a provider", body = MessageRecord),
        (status = 400, description = "`invalid_phone`"), (status = 404, description = "`location_not_found`"),
        (status = 409, description = "`notification_disabled`, `confirmation_not_required`"),
        (status = 422, description = "`message_too_long`, `validation_failed`, `idempotency_key_reused`"),
        (status = 429, description = "A rate limit; `code` names it"), (status = 502, description = "`provider_failed`"),
        (status = 503, description = "`no_provider`, `provider_throttled`"), (status = 504, description = "`provider_timeout`")),
    security(("bearer" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<MessageInput>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency::key_of(&req);
    let input = body.value;
    idempotency::run(&state, &req, "POST /v1/messages", &body.raw, || async {
        check_code(&input.code)?;
        let prepared = prepare::prepare(
            &state,
            &SendInput {
                location_id: &input.location_id,
                phone: &input.phone,
                code: &input.code,
                purpose: input.purpose,
            },
        )
        .await?;
        let record = send::dispatch(
            &state,
            &prepared,
            &DispatchInput {
                code: &input.code,
                purpose: input.purpose,
                client_ip: input.client_ip,
                verification_id: None,
                code_ttl_secs: state.config.verification.ttl.as_secs(),
                idempotency_key: key
                    .clone()
                    .unwrap_or_else(|| crate::flows::record::new_id("snd")),
            },
        )
        .await?;
        Ok((StatusCode::CREATED, record))
    })
    .await
}

/// Reads a message and its delivery history.
#[utoipa::path(get, path = "/v1/messages/{id}", tag = "messages",
    params(("id" = String, Path, description = "`msg_…`")),
    responses((status = 200, body = MessageRecord), (status = 404, description = "`message_not_found`")),
    security(("bearer" = [])))]
pub async fn get(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let record = get_json::<MessageRecord>(state.store.as_ref(), Ns::Message, &id, state.now_ms())
        .await?
        .ok_or_else(|| {
            ApiError::new(ErrorCode::MessageNotFound, format!("No message `{id}` is known; message records are kept for the configured retention."),
            )
        })?;
    Ok(HttpResponse::Ok().json(record))
}
