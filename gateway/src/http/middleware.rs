//! Middleware applied to every request: the request id and access log, API-key
//! authentication for `/v1` (whose answers are never cached), and a safety net that turns any error response not
//! already in problem+json (actix's own 404/405/413 text bodies) into one.

use crate::error::{ApiError, ErrorCode, PROBLEM_JSON};
use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::{ErrorHandlerResponse, Next};
use actix_web::{Error, HttpMessage, ResponseError, web};
use std::time::Instant;
use tracing::Instrument;

/// Header carrying the request id, in and out.
pub const REQUEST_ID: &str = "x-request-id";

/// The request id, stored in request extensions for handlers and logs.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The name of the API key that authenticated the request (never the key).
#[derive(Debug, Clone)]
pub struct Caller(pub String);

/// Accepts a caller's `X-Request-Id` if it is short and plain, else makes one.
fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| ulid::Ulid::new().to_string())
}

/// Tags the request with an id, logs it, records HTTP metrics, echoes the id.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = request_id(&req);
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().to_string();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let span = tracing::info_span!("request", request_id = %id, %method);
    let started = Instant::now();
    // Shutdown waits for this request (see `http::busy`).
    let busy = req
        .conn_data::<super::busy::Conn>()
        .map(super::busy::Conn::busy);
    let mut res = next.call(req).instrument(span.clone()).await?;
    // The route pattern, never the concrete path: ids must not reach logs or labels.
    let pattern = res.request().match_pattern();
    let route = pattern.as_deref().unwrap_or("unmatched");
    let status = res.status().as_u16();
    let elapsed = started.elapsed();
    if let Some(state) = state {
        state.observe_http(pattern.as_deref(), &method, status, elapsed);
    }
    span.in_scope(|| {
        tracing::info!(route = %route, status, latency_ms = elapsed.as_secs_f64() * 1000.0, "request served");
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID), v);
    }
    drop(busy);
    Ok(res)
}

/// Refuses `/v1` requests without a configured API key.
pub async fn require_api_key(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let caller = req.app_data::<web::Data<AppState>>().and_then(|state| {
        let auth = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        state.api_keys.verify(auth).map(str::to_owned)
    });
    match caller {
        Some(name) => {
            req.extensions_mut().insert(Caller(name));
            let mut res = next.call(req).await?;
            // API answers carry tokens, ids and masked phones: no cache keeps them.
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(res.map_into_left_body())
        }
        None => {
            let resp = ApiError::unauthorized().error_response();
            let mut resp = req.into_response(resp);
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            Ok(resp.map_into_right_body())
        }
    }
}

/// Rewrites any error response that is not problem+json into one.
pub fn problem_safety_net<B>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON));
    if is_problem {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let timed_out = res
        .response()
        .error()
        .and_then(|e| e.as_error::<actix_web::error::PayloadError>())
        .is_some_and(crate::http::deadline::is_timeout);
    let (req, _) = res.into_parts();
    let err = match status.as_u16() {
        _ if timed_out => ApiError::request_timeout(),
        404 => ApiError::route_not_found(req.path()),
        405 => ApiError::method_not_allowed(req.method().as_str(), req.path()),
        413 => ApiError::payload_too_large(
            req.app_data::<crate::http::json::BodyLimit>()
                .map(|l| l.0)
                .unwrap_or(0),
        ),
        s if s >= 500 => ApiError::internal(),
        _ => ApiError::new(
            ErrorCode::BadRequest,
            "The request could not be handled as sent.",
        )
        .with_status(status),
    };
    let res = ServiceResponse::new(req, err.error_response()).map_into_right_body();
    Ok(ErrorHandlerResponse::Response(res))
}
