//! `Idempotency-Key` for the endpoints that send: a repeat with the same key and body
//! returns the first response and sends nothing; the same key with another body is
//! `422 idempotency_key_reused`; concurrent duplicates wait for the first to finish.
//!
//! Keys are scoped by API key name and endpoint. The first request claims the key
//! with `put_if_absent` (atomic in every backend), so exactly one request does the
//! work. Answers that a retry might change (429, 5xx) release the key instead of being
//! remembered.
//!
//! A claim names its owner (process id and a per-process nonce) and holds a short
//! lease, [`LEASE_MS`] on the store's clock, which the owner renews while it works.
//! A duplicate waits, woken in-process when any claim here finishes and otherwise
//! re-reading the store with a growing backoff (never a tight loop); when the owner
//! died (a crash, `kill -9`) its lease runs out and the first waiter takes the claim
//! over and does the work, once.

use crate::error::{ApiError, ErrorCode, PROBLEM_JSON};
use crate::http::middleware::Caller;
use crate::state::AppState;
use crate::store::{self, Ns, get_json, to_json};
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
/// How long a claim outlives its owner's last renewal, in store milliseconds: how long
/// a crashed request blocks its key.
pub const LEASE_MS: i64 = 10_000;
/// How often a working owner renews its lease (a third of it, so two renewals may be
/// late before the lease lapses).
const RENEW_EVERY: Duration = Duration::from_millis(LEASE_MS as u64 / 3);
/// How long a concurrent duplicate waits for the first request's answer.
const WAIT_FOR_FIRST: Duration = Duration::from_secs(60);
/// First and longest pause between a waiting duplicate's store reads.
const BACKOFF: (Duration, Duration) = (Duration::from_millis(10), Duration::from_millis(500));

/// Wakes the duplicates waiting in this process whenever a claim here is finished or
/// released. Process-wide on purpose: claims are per process, and a spurious wake-up
/// costs one store read. (Duplicates on other instances rely on the backoff.)
static FINISHED: tokio::sync::Notify = tokio::sync::Notify::const_new();

#[derive(Debug, Serialize, Deserialize)]
struct Record {
    /// Keyed hash of method, path and body.
    fingerprint: String,
    /// `None` while the first request is still running.
    status: Option<u16>,
    /// The first answer's body.
    body: Option<Value>,
    /// Who holds the claim while it runs: `pid:<process id>/<nonce>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    owner: Option<String>,
}

/// This process's owner name for claims.
fn owner() -> &'static str {
    static OWNER: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| format!("pid:{}/{}", std::process::id(), ulid::Ulid::new()));
    &OWNER
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
    let started = std::time::Instant::now();
    let mut pause = BACKOFF.0;
    loop {
        // Registered before reading the store, so a finish in between still wakes us.
        let finished = FINISHED.notified();
        tokio::pin!(finished);
        finished.as_mut().enable();
        if claim(state, &scope, &fingerprint).await? {
            let out = do_work(state, &scope, &fingerprint, work).await;
            FINISHED.notify_waiters();
            return out;
        }
        if let Some(answer) = replay(state, &scope, &fingerprint).await? {
            return answer;
        }
        if started.elapsed() >= WAIT_FOR_FIRST {
            return Err(ApiError::new(
                ErrorCode::IdempotencyInProgress,
                "A request with this Idempotency-Key is still being processed; retry shortly.",
            )
            .with("retry_after", 1));
        }
        // Waiting on another request in flight, not modelling time: real time.
        let _ = tokio::time::timeout(pause, finished).await;
        pause = (pause * 2).min(BACKOFF.1);
    }
}

/// Claims `scope` for this process with a fresh lease; `false` if someone holds it.
async fn claim(state: &AppState, scope: &str, fingerprint: &str) -> Result<bool, ApiError> {
    let now = state.now_ms();
    let record = Record {
        fingerprint: fingerprint.to_owned(),
        status: None,
        body: None,
        owner: Some(owner().to_owned()),
    };
    Ok(state
        .store
        .put_if_absent(
            Ns::Idempotency,
            scope,
            to_json(&record),
            Some(now + LEASE_MS),
            now,
        )
        .await?)
}

/// Renews this process's lease on `scope` (nothing if the claim is no longer ours).
async fn renew(state: &AppState, scope: &str) -> Result<(), ApiError> {
    let now = state.now_ms();
    let lost = state
        .store
        .update(Ns::Idempotency, scope, now, |cur| {
            match cur.and_then(|c| serde_json::from_str::<Record>(c).ok()) {
                Some(r) if r.status.is_none() && r.owner.as_deref() == Some(owner()) => {
                    (store::Write::Put(to_json(&r), Some(now + LEASE_MS)), false)
                }
                _ => (store::Write::Keep, true),
            }
        })
        .await?;
    if lost {
        tracing::warn!("an Idempotency-Key claim lapsed while its request was still running");
    }
    Ok(())
}

/// Runs the claimed `work`, renewing the lease meanwhile, and remembers or releases
/// its answer.
async fn do_work<F, Fut, B>(
    state: &AppState,
    scope: &str,
    fingerprint: &str,
    work: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(StatusCode, B), ApiError>>,
    B: Serialize,
{
    let running = work();
    tokio::pin!(running);
    let result = loop {
        tokio::select! {
            result = &mut running => break result,
            () = tokio::time::sleep(RENEW_EVERY) => {
                if let Err(e) = renew(state, scope).await {
                    tracing::warn!(error = ?e, "could not renew an Idempotency-Key lease");
                }
            }
        }
    };
    // Remembers the first answer for the key's lifetime.
    let remember = |status: StatusCode, body: Value| {
        let done = Record {
            fingerprint: fingerprint.to_owned(),
            status: Some(status.as_u16()),
            body: Some(body),
            owner: None,
        };
        let expires = state.now_ms() + state.config.store.idempotency_ttl.as_millis() as i64;
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
    match result {
        Ok((status, body)) => {
            let body = serde_json::to_value(&body).unwrap_or_default();
            remember(status, body.clone()).await?;
            Ok(HttpResponse::build(status).json(body))
        }
        Err(err) if err.status == StatusCode::TOO_MANY_REQUESTS || err.status.is_server_error() => {
            state
                .store
                .delete(Ns::Idempotency, scope, state.now_ms())
                .await?;
            Err(err)
        }
        Err(err) => {
            remember(err.status, err.body()).await?;
            Err(err)
        }
    }
}

/// Answers a repeat from the store: the stored answer or a mismatch; `None` while the
/// claim is still running or once it was released (the caller then claims again).
async fn replay(
    state: &AppState,
    scope: &str,
    fingerprint: &str,
) -> Result<Option<Result<HttpResponse, ApiError>>, ApiError> {
    let record =
        get_json::<Record>(state.store.as_ref(), Ns::Idempotency, scope, state.now_ms()).await?;
    Ok(match record {
        Some(r) if r.fingerprint != fingerprint => Some(Err(ApiError::new(
            ErrorCode::IdempotencyKeyReused,
            "This Idempotency-Key was first used with a different body; use a new key for a new request.",
        ))),
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
                return Ok(Some(Ok(resp.body(body.unwrap_or(Value::Null).to_string()))));
            }
            Some(Ok(resp.json(body.unwrap_or(Value::Null))))
        }
        _ => None,
    })
}
