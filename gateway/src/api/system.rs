//! Endpoints for machines that watch the gateway: liveness, readiness, metrics and the
//! OpenAPI document. None needs an API key.

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use serde_json::json;

/// `GET /healthz`: the process is alive.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "Alive")))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// `GET /readyz`: the store answers and at least one adapter is healthy.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, description = "Ready"), (status = 503, description = "`not_ready`: store down or no healthy adapter")))]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let store_ok = state.store.ping().await.is_ok();
    let mut healthy = Vec::new();
    for adapter in state.adapters.iter() {
        let up = adapter.health().await.up;
        state.metrics.set_adapter_up(adapter.name(), up);
        if up {
            healthy.push(adapter.name().to_owned());
        }
    }
    if store_ok && !healthy.is_empty() {
        return Ok(HttpResponse::Ok()
            .json(json!({ "status": "ready", "store": "ok", "healthy_adapters": healthy })));
    }
    let why = if !store_ok {
        "the store does not answer"
    } else {
        "no adapter instance is healthy"
    };
    Err(ApiError::new(
        ErrorCode::NotReady,
        format!("The gateway is not ready: {why}. See GET /v1/adapters and the logs."),
    )
    .with("store", if store_ok { "ok" } else { "down" })
    .with("retry_after", 5))
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(crate::metrics::CONTENT_TYPE)
        .body(state.metrics.render())
}

/// `GET /openapi.json`: this API, described.
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok().json(crate::api::openapi::document())
}
