//! Managed verifications: the gateway makes the code, sends it, and checks what the
//! client types back.
//!
//! A verification is pending until the right code is checked (approved), its checks
//! are used up (failed), its TTL passes (expired) or it is cancelled. One pending
//! verification exists per location, phone and purpose: asking again re-sends the same
//! code (re-derived from the stored salt, see `secret`) on the same verification,
//! within the resend cooldown and the send limit.

use super::Purpose;
use super::prepare;
use super::record::{MessageRecord, new_id};
use super::send::{self, DispatchInput};
use super::tokens::{self, Claims};
use crate::clock::rfc3339;
use crate::error::{ApiError, ErrorCode};
use crate::limits::LimitRejection;
use crate::locations::Location;
use crate::metrics::{CheckResult, VerificationOutcome};
use crate::phone::Phone;
use crate::secret::{ServerSecret, random_bytes};
use crate::state::AppState;
use crate::store::{Decision, Millis, Ns, PutItem, Write, get_json, to_json};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::net::IpAddr;

/// A stored verification. Holds no code: only the salt it is derived from and its
/// keyed hash.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Verification {
    /// `ver_…`.
    pub id: String,
    /// Location id.
    pub location_id: String,
    /// Recipient, E.164 (kept to re-send and to match checks; never returned in full).
    pub phone: String,
    /// What the code is for.
    pub purpose: Purpose,
    /// `pending`, `approved`, `failed` or `cancelled` (expiry is derived from time).
    pub status: String,
    /// Hex salt the code is derived from.
    pub salt: String,
    /// Digits in the code.
    pub code_length: u8,
    /// Keyed hash of the code.
    pub code_hash: String,
    /// Checks left.
    pub attempts_left: u32,
    /// Sends so far.
    pub sends: u32,
    /// When it was created (ms).
    pub created_at: Millis,
    /// When the code stops being checkable (ms).
    pub expires_at: Millis,
    /// When the code was last sent (ms).
    pub last_sent_at: Millis,
    /// Adapter instance of the last send.
    pub adapter: String,
    /// Channel of the last send.
    pub channel: String,
    /// The last message record id.
    pub message_id: String,
}

/// How long a finished or expired verification is still remembered (so a late check
/// gets `410`/`429` instead of `404`).
const KEEP_AFTER_EXPIRY_MS: i64 = 3_600_000;

fn pending_key(location_id: &str, phone: &str, purpose: Purpose) -> String {
    format!("{location_id}:{phone}:{}", purpose.as_str())
}

/// Frees the "one pending verification per location, phone and purpose" slot.
async fn clear_pending(state: &AppState, v: &Verification, now: Millis) -> Result<(), ApiError> {
    state
        .store
        .delete(
            Ns::PendingVerification,
            &pending_key(&v.location_id, &v.phone, v.purpose),
            now,
        )
        .await?;
    Ok(())
}

fn not_found(detail: &str) -> ApiError {
    ApiError::new(ErrorCode::VerificationNotFound, detail.to_owned())
}

/// The public view of a verification (never the code, phone masked).
pub fn view(state: &AppState, v: &Verification, message: Option<&MessageRecord>) -> Value {
    let now = state.now_ms();
    let status = if v.status == "pending" && now >= v.expires_at {
        "expired"
    } else {
        v.status.as_str()
    };
    let cooldown = state.limits.resend_cooldown().as_millis() as i64;
    let mut out = json!({
        "id": v.id,
        "status": status,
        "location_id": v.location_id,
        "phone": crate::phone::mask(&v.phone),
        "purpose": v.purpose,
        "channel": v.channel,
        "adapter": v.adapter,
        "expires_at": rfc3339(to_time(v.expires_at)),
        "resend_available_at": rfc3339(to_time(v.last_sent_at + cooldown)),
        "attempts_left": v.attempts_left,
        "sends": v.sends,
        "sends_left": state.config.verification.max_sends.saturating_sub(v.sends),
        "message_id": v.message_id,
        "created_at": rfc3339(to_time(v.created_at)),
    });
    if let Some(m) = message {
        out["message"] = serde_json::to_value(m).unwrap_or_default();
    }
    out
}

fn to_time(ms: Millis) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// Loads a verification by id.
pub async fn load(state: &AppState, id: &str) -> Result<Option<Verification>, ApiError> {
    Ok(
        get_json::<Verification>(state.store.as_ref(), Ns::Verification, id, state.now_ms())
            .await?,
    )
}

/// Starts a verification, or re-sends the pending one. Returns (created, view).
pub async fn start(
    state: &AppState,
    location_id: &str,
    phone: &str,
    purpose: Purpose,
    client_ip: Option<IpAddr>,
) -> Result<(bool, Value), ApiError> {
    let (location, phone) = prepare::resolve(state, location_id, phone, purpose).await?;
    let cfg = &state.config.verification;
    let now = state.now_ms();
    let pkey = pending_key(&location.location_id, &phone.e164, purpose);
    // Usually nothing is pending: claim the slot in the first write. (The code and text
    // made for it are thrown away if the slot is taken.)
    if let Some(created) = create(
        state,
        location.clone(),
        phone.clone(),
        purpose,
        client_ip,
        &pkey,
        now,
    )
    .await?
    {
        return Ok((true, created));
    }
    // The slot is taken. Re-send when the verification holding it is live.
    let pending = state.store.get(Ns::PendingVerification, &pkey, now).await?;
    let holder = match &pending {
        Some(id) => load(state, id).await?,
        None => None,
    };
    let slot = holder.as_ref().map_or(Slot::Stale, |v| slot_of(v, now));
    if slot == Slot::Starting {
        // Its first send is under way in another request: re-sending now would race
        // it (and a failed first send removes the verification).
        return Err(in_progress());
    }
    if let Some(existing) = holder
        && slot == Slot::Live
    {
        if existing.sends >= cfg.max_sends {
            let retry = ((existing.expires_at - now) as u64).div_ceil(1000);
            return Err(state.reject(LimitRejection::max_send_attempts(retry)));
        }
        let salt = hex::decode(&existing.salt).map_err(|e| {
            tracing::error!(verification = %existing.id, error = %e, "stored verification salt is unreadable");
            ApiError::internal()
        })?;
        let code = state.secret.derive_code(&salt, existing.code_length);
        let prepared = prepare::prepare_resolved(state, location, phone, &code).await?;
        let ttl_left = ((existing.expires_at - now).max(0) as u64) / 1000;
        let record = send::dispatch(
            state,
            &prepared,
            &DispatchInput {
                code: &code,
                purpose,
                client_ip,
                verification_id: Some(&existing.id),
                code_ttl_secs: ttl_left,
                idempotency_key: format!("{}:{}", existing.id, existing.sends + 1),
            },
        )
        .await?;
        let bump = |cur: Option<&str>| match cur
            .and_then(|s| serde_json::from_str::<Verification>(s).ok())
        {
            Some(mut v) => {
                v.sends += 1;
                v.last_sent_at = state.now_ms();
                v.adapter = record.adapter.clone();
                v.channel = record.channel.clone();
                v.message_id = record.id.clone();
                let out = to_json(&v);
                let keep = Some(existing.expires_at + KEEP_AFTER_EXPIRY_MS);
                (Write::Put(out, keep), Some(v))
            }
            None => (Write::Keep, None),
        };
        let updated = state
            .store
            .update(Ns::Verification, &existing.id, now, bump)
            .await?;
        let v = updated.ok_or_else(|| {
            not_found("The verification ended while re-sending; start a new one.")
        })?;
        state
            .metrics
            .record_verification(purpose.into(), VerificationOutcome::Resent);
        return Ok((false, view(state, &v, Some(&record))));
    }

    // A stale pending pointer (its verification finished or vanished) is cleared, but
    // only if it still points where we saw it. (The pointer read above is reused: one
    // that appeared since then belongs to a concurrent start, which the claim in
    // `create` below answers with 409 either way.)
    if let Some(stale) = pending {
        let clear = |cur: Option<&str>| {
            let write = if cur == Some(stale.as_str()) {
                Write::Delete
            } else {
                Write::Keep
            };
            (write, ())
        };
        state
            .store
            .update(Ns::PendingVerification, &pkey, now, clear)
            .await?;
    }
    match create(state, location, phone, purpose, client_ip, &pkey, now).await? {
        Some(created) => Ok((true, created)),
        None => Err(in_progress()),
    }
}

/// How long a verification may wait for its first send before a new start takes its
/// slot (the request creating it is assumed gone: a crash between claim and send).
/// Longer than any send, fallback channels and throughput waits included.
const FIRST_SEND_GRACE_MS: i64 = 60_000;

/// What the verification holding a pending slot means for a new start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// Pending and sent: re-send its code.
    Live,
    /// Pending, its first send still under way elsewhere: `409`.
    Starting,
    /// Finished, expired, vanished or abandoned: the slot may be cleared.
    Stale,
}

fn slot_of(v: &Verification, now: Millis) -> Slot {
    if v.status != "pending" || now >= v.expires_at {
        Slot::Stale
    } else if v.sends > 0 {
        Slot::Live
    } else if now - v.created_at < FIRST_SEND_GRACE_MS {
        Slot::Starting
    } else {
        Slot::Stale
    }
}

fn in_progress() -> ApiError {
    ApiError::new(ErrorCode::VerificationInProgress, "Another request is starting a verification for this phone right now; retry in a second to re-send it.",
    )
    .with("retry_after", 1)
}

/// Creates a verification and sends its first code, unless the pending slot for this
/// location, phone and purpose is taken (`None`).
async fn create(
    state: &AppState,
    location: Location,
    phone: Phone,
    purpose: Purpose,
    client_ip: Option<IpAddr>,
    pkey: &str,
    now: Millis,
) -> Result<Option<Value>, ApiError> {
    let cfg = &state.config.verification;
    // A new verification: claim the pending slot and store the verification in one
    // write, so that concurrent starts share one and none ever finds the claim
    // without its verification (it would take it for stale). Stored before sending:
    // a concurrent start finds it and answers 409 until this first send is stored,
    // then re-sends the same code.
    let id = new_id("ver");
    let salt = random_bytes();
    let code = state.secret.derive_code(&salt, cfg.code_length);
    let expires_at = now + cfg.ttl.as_millis() as i64;
    let prepared = prepare::prepare_resolved(state, location, phone, &code).await?;
    let v = Verification {
        id: id.clone(),
        location_id: prepared.location.location_id.clone(),
        phone: prepared.phone.e164.clone(),
        purpose,
        status: "pending".into(),
        salt: hex::encode(salt),
        code_length: cfg.code_length,
        code_hash: state.secret.code_hash(&id, &code),
        attempts_left: cfg.max_check_attempts,
        sends: 0,
        created_at: now,
        expires_at,
        last_sent_at: now,
        adapter: String::new(),
        channel: String::new(),
        message_id: String::new(),
    };
    let keep_until = Some(expires_at + KEEP_AFTER_EXPIRY_MS);
    let claimed = state
        .store
        .put_if_absent_with(
            PutItem {
                ns: Ns::PendingVerification,
                key: pkey.to_owned(),
                value: id.clone(),
                expires_at: Some(expires_at),
            },
            vec![PutItem {
                ns: Ns::Verification,
                key: id.clone(),
                value: to_json(&v),
                expires_at: keep_until,
            }],
            now,
        )
        .await?;
    if !claimed {
        return Ok(None);
    }
    // The verification's state after the send is written with the message record.
    let mut sent = v.clone();
    let dispatched = send::dispatch_with(
        state,
        &prepared,
        &DispatchInput {
            code: &code,
            purpose,
            client_ip,
            verification_id: Some(&id),
            code_ttl_secs: cfg.ttl.as_secs(),
            idempotency_key: format!("{id}:1"),
        },
        |record| {
            sent.sends = 1;
            sent.last_sent_at = state.now_ms();
            sent.adapter = record.adapter.clone();
            sent.channel = record.channel.clone();
            sent.message_id = record.id.clone();
            vec![PutItem {
                ns: Ns::Verification,
                key: id.clone(),
                value: to_json(&sent),
                expires_at: keep_until,
            }]
        },
    )
    .await;
    let record = match dispatched {
        Ok(r) => r,
        Err(e) => {
            // Nothing was sent: leave no verification behind.
            state
                .store
                .delete(Ns::Verification, &id, state.now_ms())
                .await?;
            state
                .store
                .delete(Ns::PendingVerification, pkey, state.now_ms())
                .await?;
            return Err(e);
        }
    };
    let v = sent;
    state
        .metrics
        .record_verification(purpose.into(), VerificationOutcome::Started);
    Ok(Some(view(state, &v, Some(&record))))
}

/// What a check concluded.
enum Checked {
    Approved(Box<Verification>),
    Wrong(u32),
    UsedUp,
    Expired,
    Gone,
}

/// Decides a check against the stored verification `cur`: the outcome, what to write,
/// and the verification if it has ended (approved or out of attempts), whose pending
/// slot must then be freed.
fn decide_check(
    cur: Option<&str>,
    secret: &ServerSecret,
    code: &str,
    now: Millis,
) -> (Checked, Write, Option<Verification>) {
    let Some(mut v) = cur.and_then(|s| serde_json::from_str::<Verification>(s).ok()) else {
        return (Checked::Gone, Write::Keep, None);
    };
    let keep_until = Some(v.expires_at + KEEP_AFTER_EXPIRY_MS);
    match v.status.as_str() {
        "pending" if now >= v.expires_at => (Checked::Expired, Write::Keep, None),
        "pending" if secret.code_matches(&v.id, code, &v.code_hash) => {
            v.status = "approved".into();
            let write = Write::Put(to_json(&v), keep_until);
            (Checked::Approved(Box::new(v.clone())), write, Some(v))
        }
        "pending" => {
            v.attempts_left = v.attempts_left.saturating_sub(1);
            if v.attempts_left == 0 {
                v.status = "failed".into();
                let write = Write::Put(to_json(&v), keep_until);
                (Checked::UsedUp, write, Some(v))
            } else {
                let write = Write::Put(to_json(&v), keep_until);
                (Checked::Wrong(v.attempts_left), write, None)
            }
        }
        // Out of attempts earlier: make sure the slot is free.
        "failed" => (Checked::UsedUp, Write::Keep, Some(v)),
        _ => (Checked::Gone, Write::Keep, None),
    }
}

/// Checks a code against a verification.
pub async fn check(state: &AppState, id: &str, code: &str) -> Result<Value, ApiError> {
    let now = state.now_ms();
    // The decision runs where the record is (one store round trip), and frees the
    // pending slot in the same step when the verification ends. It may run more than
    // once; the last run's outcome is the one that was written.
    let (secret, code) = (state.secret.clone(), code.to_owned());
    let decide = move |cur: Option<&str>| {
        let (outcome, write, ended) = decide_check(cur, &secret, &code, now);
        let also_delete = match ended {
            Some(v) => vec![(
                Ns::PendingVerification,
                pending_key(&v.location_id, &v.phone, v.purpose),
            )],
            None => Vec::new(),
        };
        (Decision { write, also_delete }, outcome)
    };
    let outcome = state
        .store
        .update_owned(Ns::Verification, id, now, decide)
        .await?;
    match outcome {
        Checked::Approved(v) => {
            state
                .metrics
                .record_verification_check(CheckResult::Approved);
            state
                .metrics
                .record_verification(v.purpose.into(), VerificationOutcome::Approved);
            let now_secs = now / 1000;
            let exp = now_secs + state.config.verification.token_ttl.as_secs() as i64;
            let claims = Claims {
                jti: new_id("tok"),
                vid: v.id.clone(),
                loc: v.location_id.clone(),
                phone: v.phone.clone(),
                purpose: v.purpose,
                iat: now_secs,
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
        Checked::Wrong(left) => {
            state
                .metrics
                .record_verification_check(CheckResult::WrongCode);
            Ok(json!({ "id": id, "status": "pending", "attempts_left": left }))
        }
        Checked::UsedUp => {
            state
                .metrics
                .record_verification_check(CheckResult::MaxAttempts);
            Err(state.reject(LimitRejection::max_check_attempts()))
        }
        Checked::Expired => {
            state
                .metrics
                .record_verification_check(CheckResult::Expired);
            Err(ApiError::new(
                ErrorCode::VerificationExpired,
                "The code has expired; start a new verification to send a new code.",
            ))
        }
        Checked::Gone => Err(not_found(
            "No pending verification has this id (unknown, already approved or cancelled); start a new verification.",
        )),
    }
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
    let pkey = pending_key(&location.location_id, &phone.e164, purpose);
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

/// Cancels a pending verification.
pub async fn cancel(state: &AppState, id: &str) -> Result<(), ApiError> {
    let now = state.now_ms();
    let decide =
        |cur: Option<&str>| match cur.and_then(|s| serde_json::from_str::<Verification>(s).ok()) {
            Some(mut v) if v.status == "pending" && now < v.expires_at => {
                v.status = "cancelled".into();
                let out = to_json(&v);
                let keep = Some(v.expires_at + KEEP_AFTER_EXPIRY_MS);
                (Write::Put(out, keep), Some(v))
            }
            _ => (Write::Keep, None),
        };
    let found = state
        .store
        .update(Ns::Verification, id, now, decide)
        .await?;
    let v = found.ok_or_else(|| {
        not_found("No pending verification has this id; there is nothing to cancel.")
    })?;
    clear_pending(state, &v, now).await?;
    state
        .metrics
        .record_verification(v.purpose.into(), VerificationOutcome::Cancelled);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verification(status: &str, sends: u32) -> Verification {
        Verification {
            id: "ver_1".into(),
            location_id: "42".into(),
            phone: "+79991234567".into(),
            purpose: Purpose::Login,
            status: status.into(),
            salt: String::new(),
            code_length: 6,
            code_hash: String::new(),
            attempts_left: 5,
            sends,
            created_at: 1_000,
            expires_at: 601_000,
            last_sent_at: 1_000,
            adapter: String::new(),
            channel: String::new(),
            message_id: String::new(),
        }
    }

    #[test]
    fn a_slot_is_live_starting_or_stale() {
        assert_eq!(slot_of(&verification("pending", 1), 2_000), Slot::Live);
        // First send under way elsewhere, until the grace runs out (a crashed start).
        assert_eq!(slot_of(&verification("pending", 0), 2_000), Slot::Starting);
        assert_eq!(
            slot_of(&verification("pending", 0), 1_000 + FIRST_SEND_GRACE_MS - 1),
            Slot::Starting
        );
        assert_eq!(
            slot_of(&verification("pending", 0), 1_000 + FIRST_SEND_GRACE_MS),
            Slot::Stale
        );
        assert_eq!(slot_of(&verification("pending", 1), 601_000), Slot::Stale);
        for ended in ["approved", "failed", "cancelled"] {
            assert_eq!(slot_of(&verification(ended, 1), 2_000), Slot::Stale);
        }
    }
}
