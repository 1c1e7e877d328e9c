//! Checking a typed code: one atomic store update decides it where the record is.

use super::model::{Status, Verification, count_expired, not_found, pending_key, to_time};
use crate::clock::rfc3339;
use crate::error::{ApiError, ErrorCode};
use crate::flows::Purpose;
use crate::flows::prepare;
use crate::flows::record::new_id;
use crate::flows::tokens::{self, Claims};
use crate::limits::{LimitRejection, secs_ceil};
use crate::metrics::{CheckResult, VerificationOutcome};
use crate::secret::ServerSecret;
use crate::state::AppState;
use crate::store::{Decision, Millis, Ns, Write, to_json};
use serde_json::{Value, json};

/// What a check concluded.
enum Checked {
    Approved(Box<Verification>),
    Wrong(u32),
    /// Out of attempts; `newly` when this check used the last one.
    UsedUp {
        verification: Box<Verification>,
        newly: bool,
    },
    /// Past its TTL; the purpose when this check is the one that stored it as expired.
    Expired(Option<Purpose>),
    /// The code cannot be the one sent (wrong length): no attempt spent.
    Malformed {
        expected_digits: u8,
    },
    Gone,
}

/// Decides a check against the stored verification `cur`: the outcome, what to write,
/// and the verification if it has ended (approved or out of attempts), whose pending
/// slot must then be freed.
/// An approved verification is kept until `token_expires` (ms) at least: introspection
/// reads the phone from it and refuses tokens naming no approved verification.
fn decide_check(
    cur: Option<&str>,
    secret: &ServerSecret,
    code: &str,
    now: Millis,
    token_expires: Millis,
) -> (Checked, Write, Option<Verification>) {
    let Some(mut v) = Verification::parse(cur) else {
        return (Checked::Gone, Write::Keep, None);
    };
    let keep_until = v.keep_until();
    match v.status {
        Status::Pending if now >= v.expires_at => {
            v.status = Status::Expired;
            let write = Write::Put(to_json(&v), keep_until);
            (Checked::Expired(Some(v.purpose)), write, None)
        }
        // A code of another length was mistyped or is garbage, never a guess at the
        // one sent: it costs no attempt.
        Status::Pending if code.len() != usize::from(v.code_length) => (
            Checked::Malformed {
                expected_digits: v.code_length,
            },
            Write::Keep,
            None,
        ),
        Status::Pending if secret.code_matches(&v.id, code, &v.code_hash) => {
            v.status = Status::Approved;
            let keep = keep_until.map(|k| k.max(token_expires));
            let write = Write::Put(to_json(&v), keep);
            (Checked::Approved(Box::new(v.clone())), write, Some(v))
        }
        Status::Pending => {
            v.attempts_left = v.attempts_left.saturating_sub(1);
            if v.attempts_left == 0 {
                v.status = Status::Failed;
                let write = Write::Put(to_json(&v), keep_until);
                let used_up = Checked::UsedUp {
                    verification: Box::new(v.clone()),
                    newly: true,
                };
                (used_up, write, Some(v))
            } else {
                let write = Write::Put(to_json(&v), keep_until);
                (Checked::Wrong(v.attempts_left), write, None)
            }
        }
        // Out of attempts earlier: make sure the slot is free.
        Status::Failed => {
            let used_up = Checked::UsedUp {
                verification: Box::new(v.clone()),
                newly: false,
            };
            (used_up, Write::Keep, Some(v))
        }
        Status::Expired => (Checked::Expired(None), Write::Keep, None),
        Status::Approved | Status::Cancelled => (Checked::Gone, Write::Keep, None),
    }
}

/// Checks a code against a verification.
pub async fn check(state: &AppState, id: &str, code: &str) -> Result<Value, ApiError> {
    let now = state.now_ms();
    // The decision runs where the record is (one store round trip), and frees the
    // pending slot in the same step when the verification ends. It may run more than
    // once; the last run's outcome is the one that was written.
    let (secret, code) = (state.secret.clone(), code.to_owned());
    let token_expires = token_expiry(state, now) * 1000;
    let decide = move |cur: Option<&str>| {
        let (outcome, write, ended) = decide_check(cur, &secret, &code, now, token_expires);
        let also_delete = match ended.and_then(|v| v.pending_key(&secret)) {
            Some(pkey) => vec![(Ns::PendingVerification, pkey)],
            None => Vec::new(),
        };
        (Decision { write, also_delete }, outcome)
    };
    let outcome = state
        .store
        .update_owned(Ns::Verification, id, now, decide)
        .await?;
    match outcome {
        Checked::Approved(v) => approved(state, &v, now),
        Checked::Wrong(left) => {
            state
                .metrics
                .record_verification_check(CheckResult::WrongCode);
            Ok(json!({ "id": id, "status": "pending", "attempts_left": left }))
        }
        Checked::UsedUp {
            verification,
            newly,
        } => {
            state
                .metrics
                .record_verification_check(CheckResult::MaxAttempts);
            if newly {
                state
                    .metrics
                    .record_verification(verification.purpose.into(), VerificationOutcome::Failed);
            }
            Err(
                state.reject(LimitRejection::max_check_attempts(new_start_after(
                    state,
                    &verification,
                    now,
                ))),
            )
        }
        Checked::Expired(newly) => {
            state
                .metrics
                .record_verification_check(CheckResult::Expired);
            if let Some(purpose) = newly {
                count_expired(state, purpose);
            }
            Err(ApiError::new(
                ErrorCode::VerificationExpired,
                "The code has expired; start a new verification to send a new code.",
            ))
        }
        Checked::Malformed { expected_digits } => Err(ApiError::invalid_field(
            "code",
            format!(
                "`code` must be the {expected_digits} digits sent to the phone; this one has another length. No attempt was used."
            ),
        )),
        Checked::Gone => Err(not_found(
            "No pending verification has this id (unknown, already approved or cancelled); start a new verification.",
        )),
    }
}

/// Seconds until a new verification for the failed one's phone can be started: the
/// resend cooldown counts from its last code. (Other per-phone limits may still
/// answer then, each with its own `retry_after`.)
fn new_start_after(state: &AppState, v: &Verification, now: Millis) -> u64 {
    let cooldown = state.limits.resend_cooldown().as_millis() as i64;
    secs_ceil(v.last_sent_at + cooldown - now)
}

/// When a token issued at `now` (ms) expires, in unix seconds.
fn token_expiry(state: &AppState, now: Millis) -> i64 {
    now / 1000 + state.config.verification.token_ttl.as_secs() as i64
}

/// Counts an approval and issues its token.
fn approved(state: &AppState, v: &Verification, now: Millis) -> Result<Value, ApiError> {
    state
        .metrics
        .record_verification_check(CheckResult::Approved);
    state
        .metrics
        .record_verification(v.purpose.into(), VerificationOutcome::Approved);
    let exp = token_expiry(state, now);
    let claims = Claims {
        jti: new_id("tok"),
        vid: v.id.clone(),
        loc: v.location_id.clone(),
        purpose: v.purpose,
        iat: now / 1000,
        exp,
    };
    let token = tokens::issue(&state.secret.token_key(), &claims);
    Ok(json!({
        "id": v.id,
        "status": "approved",
        "token": token,
        "token_expires_at": rfc3339(to_time(exp * 1000)),
    }))
}

/// Checks by location, phone and purpose instead of id.
pub async fn check_by_subject(
    state: &AppState,
    location_id: &str,
    phone: &str,
    purpose: Purpose,
    code: &str,
) -> Result<Value, ApiError> {
    let location = state.location(location_id).await?;
    let phone = prepare::parse_phone(phone, location.country.as_deref())?;
    let pkey = pending_key(&state.secret, &location.location_id, &phone.e164, purpose);
    match state
        .store
        .get(Ns::PendingVerification, &pkey, state.now_ms())
        .await?
    {
        Some(id) => check(state, &id, code).await,
        None => Err(not_found(
            "No pending verification exists for this location, phone and purpose; start one with POST /v1/verifications.",
        )),
    }
}
