//! The one error type every HTTP handler returns, rendered as RFC 9457 problem details.
//!
//! Each error has a stable snake_case `code` that callers branch on, an HTTP status, a
//! short title and a `detail` sentence that tells the caller what to do. Extra members
//! (`field`, `retry_after`, `attempts_left`, …) carry specifics. An error with a
//! `retry_after` (a `429`, `502`, `503`, `504`) also gets a `Retry-After` header. Codes, statuses and titles come
//! from one list, [`ErrorCode`] (`code.rs`).

mod code;

pub use code::ErrorCode;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde_json::{Map, Value, json};
use std::fmt;

/// Media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Base of the `type` URI of every problem; the code is appended.
const TYPE_BASE: &str = "https://docs.confirmation-gateway.dev/problems/";

/// An API error: status, stable code, and a sentence saying what to do.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status to answer with.
    pub status: StatusCode,
    /// Stable snake_case identifier callers branch on.
    pub code: ErrorCode,
    /// Short, human title of the problem kind.
    pub title: &'static str,
    /// What happened and what to do about it.
    pub detail: String,
    /// Extra problem members (`field`, `retry_after`, …).
    pub extra: Map<String, Value>,
}

impl ApiError {
    /// A new error with no extra members; status and title are the code's.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            status: code.status(),
            code,
            title: code.title(),
            detail: detail.into(),
            extra: Map::new(),
        }
    }

    /// The same error answered with another status: only for rewriting an error
    /// actix produced itself (the problem+json safety net), whose status must stay.
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// Adds an extra member to the body.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extra.insert(key.to_owned(), value.into());
        self
    }

    /// The seconds after which a retry may succeed, if set.
    pub fn retry_after(&self) -> Option<u64> {
        self.extra.get("retry_after").and_then(Value::as_u64)
    }

    /// `400 bad_request`: the request could not be read.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, detail)
    }

    /// `400 invalid_json`: the body is not the JSON this endpoint takes.
    pub fn invalid_json(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidJson, detail)
    }

    /// `422 validation_failed` for one field.
    pub fn invalid_field(field: &str, detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::ValidationFailed, detail).with("field", field)
    }

    /// `401 unauthorized`.
    pub fn unauthorized() -> Self {
        Self::new(
            ErrorCode::Unauthorized,
            "Send `Authorization: Bearer <api key>` with a key whose hash is configured under [auth].",
        )
    }

    /// `404 not_found` for an unknown route.
    pub fn route_not_found(path: &str) -> Self {
        Self::new(
            ErrorCode::NotFound,
            format!("There is no endpoint at `{path}`; see GET /openapi.json for the API."),
        )
    }

    /// `405 method_not_allowed`.
    pub fn method_not_allowed(method: &str, path: &str) -> Self {
        Self::new(
            ErrorCode::MethodNotAllowed,
            format!(
                "`{method}` is not allowed on `{path}`; see GET /openapi.json for the methods it takes."
            ),
        )
    }

    /// `413 payload_too_large`.
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(ErrorCode::PayloadTooLarge, format!("The body is larger than the {limit} bytes this endpoint accepts; send a smaller body."),
        )
        .with("max_bytes", limit)
    }

    /// `408 request_timeout`: the body did not arrive within `server.body_timeout`.
    pub fn request_timeout() -> Self {
        Self::new(
            ErrorCode::RequestTimeout,
            "The request body did not arrive in time; send the whole request at once and retry.",
        )
    }

    /// `500 internal_error`: never carries internals; they go to the log.
    pub fn internal() -> Self {
        Self::new(
            ErrorCode::InternalError,
            "The gateway failed to handle this request; it was logged. Retry later or report it with the request id.",
        )
    }

    /// `503 store_unavailable`.
    pub fn store_unavailable() -> Self {
        Self::new(
            ErrorCode::StoreUnavailable,
            "The gateway's store could not be reached; retry shortly.",
        )
        .with("retry_after", 1)
    }

    /// The problem body as JSON.
    pub fn body(&self) -> Value {
        let mut body = json!({
            "type": format!("{TYPE_BASE}{}", self.code),
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
            "code": self.code.as_str(),
        });
        if let Value::Object(map) = &mut body {
            for (k, v) in &self.extra {
                map.insert(k.clone(), v.clone());
            }
        }
        body
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)
    }
}

impl std::error::Error for ApiError {}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut resp = HttpResponse::build(self.status);
        resp.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        if let Some(secs) = self.retry_after() {
            resp.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        resp.body(self.body().to_string())
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(err: crate::store::StoreError) -> Self {
        tracing::error!(error = %err, "store operation failed");
        match err {
            crate::store::StoreError::Busy(_) => ApiError::store_unavailable(),
            _ => ApiError::internal(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    #[test]
    fn renders_problem_json_with_retry_after_header() {
        let err = ApiError::new(ErrorCode::ResendCooldown, "Wait.").with("retry_after", 42);
        let resp = err.error_response();
        assert_eq!(resp.status(), 429);
        assert_eq!(resp.headers().get("retry-after").unwrap(), "42");
        assert_eq!(resp.headers().get("content-type").unwrap(), PROBLEM_JSON);
        let bytes = resp.into_body().try_into_bytes().unwrap();
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["code"], "resend_cooldown");
        assert_eq!(v["status"], 429);
        assert_eq!(v["retry_after"], 42);
        assert!(v["type"].as_str().unwrap().ends_with("/resend_cooldown"));
    }
}
