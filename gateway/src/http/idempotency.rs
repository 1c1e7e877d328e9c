//! `Idempotency-Key` for the endpoints that send: a repeat with the same key and body
//! returns the first response and sends nothing; the same key with another body is
//! `422 idempotency_key_reused`; concurrent duplicates wait for the first to finish.
//!
//! Keys are scoped by API key name and endpoint. The first request claims the key
//! with `put_if_absent` (atomic in every backend), so exactly one request does the
//! work. Answers that a retry might change (429, 5xx) release the key instead of being
//! remembered.

use crate::error::{ApiError, ErrorCode, PROBLEM_JSON};
use crate::http::middleware::Caller;
use crate::state::AppState;
use crate::store::{Ns, get_json, to_json};
use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, http::header};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::future::Future;
use std::time::Duration;

/// Request header carrying the key.
pub const HEADER: &str = "idempotency-key";
/// Response header set on a replayed answer.
pub const REPLAYED: &str = "idempotent-replayed";
/// How long a claimed-but-unfinished key blocks repeats (covers a crash mid-request).
const IN_PROGRESS_TTL_MS: i64 = 5 * 60 * 1000;
/// How long a concurrent duplicate waits for the first request's answer.
const WAIT_FOR_FIRST: Duration = Duration::from_secs(60);

#[derive(Debug, Serialize, Deserialize)]
struct Record {
    /// Keyed hash of method, path and body.
    fingerprint: String,
    /// `None` while the first request is still running.
    status: Option<u16>,
    /// The first answer's body.
    body: Option<Value>,
}

/// The request's `Idempotency-Key`, if any (a non-text value becomes one that
/// [`run`] refuses).
pub fn key_of(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(HEADER)
        .map(|v| v.to_str().unwrap_or("\u{0}").to_owned())
}

/// Runs `work` at most once per idempotency key (if the request carries one). Keys
/// are scoped by the calling API key's name and by `endpoint`. The answer's body is
/// any serializable value: without a key it is written straight into the response
/// (no `serde_json::Value` in between, which cost a send about a tenth of its CPU).
pub async fn run<F, Fut, B>(
    state: &AppState,
    req: &HttpRequest,
    endpoint: &str,
    raw_body: &[u8],
    work: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(StatusCode, B), ApiError>>,
    B: Serialize,
{
    let caller = req
        .extensions()
        .get::<Caller>()
        .map(|c| c.0.clone())
        .unwrap_or_default();
    let key = key_of(req);
    let Some(key) = key.as_deref() else {
        let (status, body) = work().await?;
        return Ok(HttpResponse::build(status).json(body));
    };
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::new(
            ErrorCode::InvalidIdempotencyKey,
            "An Idempotency-Key is 1 to 255 visible ASCII characters; a UUID is a good choice.",
        ));
    }
    let scope = format!("{caller}:{endpoint}:{key}");
    let fingerprint = state.secret.fingerprint(&[endpoint.as_bytes(), raw_body]);
    let now = state.now_ms();
    let claim = Record {
        fingerprint: fingerprint.clone(),
        status: None,
        body: None,
    };
    let claimed = state
        .store
        .put_if_absent(
            Ns::Idempotency,
            &scope,
            to_json(&claim),
            Some(now + IN_PROGRESS_TTL_MS),
            now,
        )
        .await?;
    if !claimed {
        return replay(state, &scope, &fingerprint).await;
    }
    // Remembers the first answer for the key's lifetime.
    let remember = |status: StatusCode, body: Value| {
        let done = Record {
            fingerprint: fingerprint.clone(),
            status: Some(status.as_u16()),
            body: Some(body),
        };
        let expires = state.now_ms() + state.config.store.idempotency_ttl.as_millis() as i64;
        let scope = &scope;
        async move {
            state
                .store
                .put(
                    Ns::Idempotency,
                    scope,
                    to_json(&done),
                    Some(expires),
                    state.now_ms(),
                )
                .await
        }
    };
    match work().await {
        Ok((status, body)) => {
            let body = serde_json::to_value(&body).unwrap_or_default();
            remember(status, body.clone()).await?;
            Ok(HttpResponse::build(status).json(body))
        }
        Err(err) if err.status == StatusCode::TOO_MANY_REQUESTS || err.status.is_server_error() => {
            state
                .store
                .delete(Ns::Idempotency, &scope, state.now_ms())
                .await?;
            Err(err)
        }
        Err(err) => {
            remember(err.status, err.body()).await?;
            Err(err)
        }
    }
}

/// Answers a repeat: the stored answer, a mismatch, or (after waiting) in-progress.
async fn replay(
    state: &AppState,
    scope: &str,
    fingerprint: &str,
) -> Result<HttpResponse, ApiError> {
    let started = std::time::Instant::now();
    loop {
        let record =
            get_json::<Record>(state.store.as_ref(), Ns::Idempotency, scope, state.now_ms())
                .await?;
        match record {
            Some(r) if r.fingerprint != fingerprint => {
                return Err(ApiError::new(
                    ErrorCode::IdempotencyKeyReused,
                    "This Idempotency-Key was first used with a different body; use a new key for a new request.",
                ));
            }
            Some(Record {
                status: Some(status),
                body,
                ..
            }) => {
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
                let mut resp = HttpResponse::build(status);
                resp.insert_header((REPLAYED, "true"));
                if status.is_client_error() || status.is_server_error() {
                    resp.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
                    return Ok(resp.body(body.unwrap_or(Value::Null).to_string()));
                }
                return Ok(resp.json(body.unwrap_or(Value::Null)));
            }
            // The first request released the key (a retryable failure): it is free again,
            // but this request's caller asked for "the first response"; tell it to retry.
            None => {
                return Err(ApiError::new(ErrorCode::IdempotencyRetry, "The first request with this Idempotency-Key failed with a retryable error; retry the request.",
                )
                .with("retry_after", 1));
            }
            Some(_) if started.elapsed() < WAIT_FOR_FIRST => {
                // Waiting on another request in flight, not modelling time: real sleep.
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Some(_) => {
                return Err(ApiError::new(
                    ErrorCode::IdempotencyInProgress,
                    "A request with this Idempotency-Key is still being processed; retry shortly.",
                )
                .with("retry_after", 1));
            }
        }
    }
}
