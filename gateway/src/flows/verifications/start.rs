//! Starting a verification, or re-sending the pending one's code.
//!
//! The pending slot (`Ns::PendingVerification`, by location, phone and purpose) is
//! claimed together with the new verification in one write, so concurrent starts
//! share one verification and none finds the claim without its verification.

use super::model::{Status, Verification, not_found, pending_key, seal_phone, view};
use crate::error::{ApiError, ErrorCode};
use crate::flows::Purpose;
use crate::flows::prepare;
use crate::flows::record::new_id;
use crate::flows::send::{self, DispatchInput};
use crate::limits::LimitRejection;
use crate::locations::Location;
use crate::metrics::VerificationOutcome;
use crate::phone::Phone;
use crate::secret::random_bytes;
use crate::state::AppState;
use crate::store::{Millis, Ns, PutItem, Write, to_json};
use serde_json::Value;
use std::net::IpAddr;

/// Starts a verification, or re-sends the pending one. Returns (created, view).
pub async fn start(
    state: &AppState,
    location_id: &str,
    phone: &str,
    purpose: Purpose,
    client_ip: Option<IpAddr>,
) -> Result<(bool, Value), ApiError> {
    let (location, phone) = prepare::resolve(state, location_id, phone, purpose).await?;
    let now = state.now_ms();
    let pkey = pending_key(&state.secret, &location.location_id, &phone.e164, purpose);
    // Usually nothing is pending: claim the slot in the first write. (The code and text
    // made for it are thrown away if the slot is taken.)
    let new = NewVerification {
        location: &location,
        phone: &phone,
        purpose,
        client_ip,
        pkey: &pkey,
    };
    if let Some(created) = create(state, &new, now).await? {
        return Ok((true, created));
    }
    // The slot is taken. Re-send when the verification holding it is live.
    let pending = state.store.get(Ns::PendingVerification, &pkey, now).await?;
    let holder = match &pending {
        Some(id) => super::load(state, id).await?,
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
        return resend(state, location, phone, client_ip, existing, now)
            .await
            .map(|v| (false, v));
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
    match create(state, &new, now).await? {
        Some(created) => Ok((true, created)),
        None => Err(in_progress()),
    }
}

/// Re-sends the same code on a live verification, within its send limit.
async fn resend(
    state: &AppState,
    location: Location,
    phone: Phone,
    client_ip: Option<IpAddr>,
    existing: Verification,
    now: Millis,
) -> Result<Value, ApiError> {
    if existing.sends >= state.config.verification.max_sends {
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
            purpose: existing.purpose,
            client_ip,
            verification_id: Some(&existing.id),
            code_ttl_secs: ttl_left,
            idempotency_key: format!("{}:{}", existing.id, existing.sends + 1),
        },
    )
    .await?;
    let bump = |cur: Option<&str>| match Verification::parse(cur) {
        Some(mut v) => {
            v.sends += 1;
            v.last_sent_at = state.now_ms();
            v.adapter = record.adapter.clone();
            v.channel = record.channel.clone();
            v.message_id = record.id.clone();
            (Write::Put(to_json(&v), existing.keep_until()), Some(v))
        }
        None => (Write::Keep, None),
    };
    let updated = state
        .store
        .update(Ns::Verification, &existing.id, now, bump)
        .await?;
    let v = updated
        .ok_or_else(|| not_found("The verification ended while re-sending; start a new one."))?;
    state
        .metrics
        .record_verification(v.purpose.into(), VerificationOutcome::Resent);
    Ok(view(state, &v, Some(&record)))
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
    if !v.is_live(now) {
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

/// What a new verification is for.
struct NewVerification<'a> {
    location: &'a Location,
    phone: &'a Phone,
    purpose: Purpose,
    client_ip: Option<IpAddr>,
    /// Its pending slot's key.
    pkey: &'a str,
}

/// Creates a verification and sends its first code, unless the pending slot for this
/// location, phone and purpose is taken (`None`).
async fn create(
    state: &AppState,
    new: &NewVerification<'_>,
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
    let prepared =
        prepare::prepare_resolved(state, new.location.clone(), new.phone.clone(), &code).await?;
    let v = Verification {
        id: id.clone(),
        location_id: prepared.location.location_id.clone(),
        phone: seal_phone(&state.secret, &id, &prepared.phone.e164),
        purpose: new.purpose,
        status: Status::Pending,
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
    let keep_until = v.keep_until();
    let claimed = state
        .store
        .put_if_absent_with(
            // The slot outlives the code as long as the verification does, so a check
            // by phone after expiry finds it and answers 410 like a check by id (a
            // start finds it stale and clears it).
            PutItem {
                ns: Ns::PendingVerification,
                key: new.pkey.to_owned(),
                value: id.clone(),
                expires_at: keep_until,
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
            purpose: new.purpose,
            client_ip: new.client_ip,
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
            // Nothing was sent: leave no verification behind. It failed if sending
            // did; a limit that refused it (429) is counted as that limit instead.
            if e.status.as_u16() != 429 {
                state
                    .metrics
                    .record_verification(new.purpose.into(), VerificationOutcome::Failed);
            }
            state
                .store
                .delete(Ns::Verification, &id, state.now_ms())
                .await?;
            state
                .store
                .delete(Ns::PendingVerification, new.pkey, state.now_ms())
                .await?;
            return Err(e);
        }
    };
    state
        .metrics
        .record_verification(new.purpose.into(), VerificationOutcome::Started);
    if !state.expiring_verifications.push(expires_at, id.clone()) {
        tracing::debug!(verification = %id, "expiry watch full; its expiry is counted only if someone asks");
    }
    Ok(Some(view(state, &sent, Some(&record))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verification(status: Status, sends: u32) -> Verification {
        Verification {
            id: "ver_1".into(),
            location_id: "42".into(),
            phone: "+79991234567".into(),
            purpose: Purpose::Login,
            status,
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
        assert_eq!(
            slot_of(&verification(Status::Pending, 1), 2_000),
            Slot::Live
        );
        // First send under way elsewhere, until the grace runs out (a crashed start).
        assert_eq!(
            slot_of(&verification(Status::Pending, 0), 2_000),
            Slot::Starting
        );
        assert_eq!(
            slot_of(
                &verification(Status::Pending, 0),
                1_000 + FIRST_SEND_GRACE_MS - 1
            ),
            Slot::Starting
        );
        assert_eq!(
            slot_of(
                &verification(Status::Pending, 0),
                1_000 + FIRST_SEND_GRACE_MS
            ),
            Slot::Stale
        );
        assert_eq!(
            slot_of(&verification(Status::Pending, 1), 601_000),
            Slot::Stale
        );
        for ended in [
            Status::Approved,
            Status::Failed,
            Status::Cancelled,
            Status::Expired,
        ] {
            assert_eq!(slot_of(&verification(ended, 1), 2_000), Slot::Stale);
        }
    }
}
