//! Running a late fallback that `reports` claimed (see `late` for when one is due):
//! the same code, re-rendered with the location's template for the message, goes
//! through the location's channels after the one that failed and not tried yet, in
//! order. The phone's, IP's and location's quotas are not spent again (the client asked
//! for one code, and gets it once); channel throughput limits apply as for any send.
//! The attempts and the outcome land in the message record (attempts, history, and the
//! new adapter, channel and status when one accepted); a verification's record follows
//! the message to its new channel, and its code keeps working.
//!
//! Also here: the per-second tick that starts the fallbacks of instances with
//! `fallback_after` when nothing was delivered in time, and drops the late-fallback
//! state (with its sealed code) from records whose windows closed unused.

use super::late::{self, LateFallback, StoredMessage};
use super::prepare::{self, Prepared};
use super::record::{HistoryEntry, MessageRecord, MessageStatus, cap_detail};
use super::route::{self, Parcel, Routed};
use super::send::provider_ref;
use super::verifications::{self, Status};
use crate::clock::rfc3339;
use crate::phone::redact_numbers;
use crate::state::AppState;
use crate::store::{Millis, Ns, Write, to_json};

/// How many open windows an instance watches at most (about 100 bytes each); past
/// that, a record keeps its sealed code until a report after its window or its
/// retention removes it.
pub const WATCHED_WINDOWS: usize = 1_000_000;

/// Records revisited per batch.
const BATCH: usize = 500;

/// What a fallback needs that the record does not hold in clear.
struct Recovered {
    phone: String,
    code: String,
    code_ttl_secs: u64,
}

/// Sends `failed` (the record as the failure report left it, or as it stood when
/// `fallback_after` passed) through the next channels, and records what happened.
/// `cause` says why, for the history and the log (`whatsapp reported failed`).
pub async fn run(state: &AppState, failed: MessageRecord, late: LateFallback, cause: String) {
    let reason = format!("late fallback: {cause}");
    let routed = match prepared(state, &failed, &late).await {
        Ok((prepared, got)) => {
            let parcel = Parcel {
                message_id: &failed.id,
                code: &got.code,
                code_ttl_secs: got.code_ttl_secs,
                idempotency_key: &format!("{}:late", failed.id),
            };
            Ok((route::route(state, &prepared, &parcel).await, prepared))
        }
        Err(why) => Err(why),
    };
    let at = rfc3339(state.clock.now());
    let entry = match &routed {
        Ok((
            Routed {
                accepted: Some((adapter, result)),
                ..
            },
            _,
        )) => HistoryEntry {
            status: result.status.into(),
            at,
            adapter: adapter.name().to_owned(),
            detail: Some(reason),
        },
        Ok(_) => HistoryEntry {
            status: MessageStatus::Failed,
            at,
            adapter: failed.adapter.clone(),
            detail: Some(format!("{reason}; no other channel accepted the code")),
        },
        // Whatever went wrong is told without numbers (a phone) and within the cap.
        Err(why) => HistoryEntry {
            status: MessageStatus::Failed,
            at,
            adapter: failed.adapter.clone(),
            detail: Some(cap_detail(&redact_numbers(&format!("{reason}; {why}")))),
        },
    };
    let sent = matches!(&routed, Ok((r, _)) if r.accepted.is_some());
    let to = entry.adapter.clone();
    if let Err(e) = store(state, &failed, entry, routed.ok()).await {
        tracing::warn!(message_id = %failed.id, error = %e, "the late fallback's outcome could not be stored");
    }
    tracing::info!(
        message_id = %failed.id,
        from = %failed.adapter,
        to = %to,
        phone = %failed.phone,
        cause = %cause,
        sent,
        "late fallback"
    );
}

/// The send re-prepared for the channels after the failed one not tried yet, and what
/// it needs; or why there is none (for the history).
async fn prepared(
    state: &AppState,
    failed: &MessageRecord,
    late: &LateFallback,
) -> Result<(Prepared, Recovered), String> {
    let got = recover(state, failed, late).await?;
    let location = state.location(&failed.location_id).await.map_err(|e| {
        tracing::warn!(message_id = %failed.id, error = %e.detail, "late fallback: location unreadable");
        "the location could not be read".to_owned()
    })?;
    let phone = prepare::parse_phone(&got.phone, None).map_err(|e| e.detail)?;
    let mut prepared = prepare::prepare_resolved(state, location, phone, &got.code)
        .await
        .map_err(|e| e.detail)?;
    let at = prepared
        .channels
        .iter()
        .position(|c| c.name() == failed.adapter);
    // The metric names instances by their label (a connection's is bounded).
    let from = at.map_or(failed.adapter.clone(), |i| {
        prepared.channels[i].metric_label().to_owned()
    });
    let mut next = prepared.channels.split_off(at.map_or(0, |i| i + 1));
    next.retain(|c| !failed.attempts.iter().any(|a| a.adapter == c.name()));
    let Some(first) = next.first() else {
        return Err("the location has no channel left to try".into());
    };
    state.metrics.record_fallback(&from, first.metric_label());
    prepared.channels = next;
    Ok((prepared, got))
}

/// The phone and code of `failed`: re-derived for a verification still waiting for
/// this message's code, opened from the sealed value otherwise.
async fn recover(
    state: &AppState,
    failed: &MessageRecord,
    late: &LateFallback,
) -> Result<Recovered, String> {
    let now = state.now_ms();
    if let Some(id) = &failed.verification_id {
        let v = verifications::load(state, id)
            .await
            .map_err(|e| e.detail)?
            .ok_or("the verification is gone")?;
        if v.status != Status::Pending || now >= v.expires_at {
            return Err(format!("the verification is {}", v.status.as_str()));
        }
        if v.message_id != failed.id {
            return Err("the code was sent again since".into());
        }
        let salt = hex::decode(&v.salt).map_err(|_| "the verification is unreadable")?;
        return Ok(Recovered {
            code: state.secret.derive_code(&salt, v.code_length),
            phone: v
                .phone_e164(&state.secret)
                .ok_or("the verification's phone does not open (another server secret?)")?,
            code_ttl_secs: secs(v.expires_at - now),
        });
    }
    let sealed = late.sealed.as_deref().ok_or("the code was not kept")?;
    let open = late::open(&state.secret, &failed.id, sealed)
        .ok_or("the kept code does not open (another server secret?)")?;
    let ttl = state.config.verification.ttl.as_millis() as i64 - (now - late.accepted_at);
    Ok(Recovered {
        phone: open.phone,
        code: open.code,
        code_ttl_secs: secs(ttl),
    })
}

fn secs(ms: Millis) -> u64 {
    u64::try_from(ms.max(0)).unwrap_or(0) / 1000
}

/// Writes the fallback's attempts and outcome into the record (and, when a channel
/// accepted, its new adapter, channel, status and text, the provider reference its
/// reports will name, and the verification's channel).
async fn store(
    state: &AppState,
    failed: &MessageRecord,
    entry: HistoryEntry,
    routed: Option<(Routed, Prepared)>,
) -> Result<(), crate::store::StoreError> {
    let now = state.now_ms();
    let expires = now + state.config.store.message_retention.as_millis() as i64;
    let (attempts, accepted) = match &routed {
        Some((r, p)) => (r.attempts.clone(), r.accepted.as_ref().map(|a| (a, p))),
        None => (Vec::new(), None),
    };
    let write = |cur: Option<&str>| match StoredMessage::parse(cur) {
        Some(mut stored) => {
            let r = &mut stored.record;
            r.attempts.extend(attempts.iter().cloned());
            if let Some(((adapter, result), prepared)) = accepted {
                let rendered = &prepared.rendered;
                r.status = result.status.into();
                r.adapter = adapter.name().to_owned();
                r.channel = route::channel_of(adapter.as_ref()).as_str().to_owned();
                r.provider_message_id = result.provider_message_id.clone();
                r.text = rendered.masked_text.clone();
                r.encoding = rendered.encoding.as_str().to_owned();
                r.segments = rendered.segments;
                r.units = rendered.units;
            }
            r.push_history(entry.clone());
            stored.late_fallback = None;
            (Write::Put(to_json(&stored), Some(expires)), true)
        }
        None => (Write::Keep, false),
    };
    if !state
        .store
        .update(Ns::Message, &failed.id, now, write)
        .await?
    {
        return Ok(());
    }
    let Some(((adapter, result), prepared)) = accepted else {
        return Ok(());
    };
    let pref = provider_ref(adapter.name(), &result.provider_message_id);
    state
        .store
        .put(
            Ns::ProviderRef,
            &pref,
            failed.id.clone(),
            Some(expires),
            now,
        )
        .await?;
    let channel = route::channel_of(adapter.as_ref());
    super::observe::sent(
        &state.metrics,
        &stored_view(failed, adapter.name()),
        &prepared.rendered,
        channel,
    );
    if let Some(id) = &failed.verification_id {
        verifications::moved(state, id, &failed.id, adapter.name(), channel.as_str()).await?;
    }
    Ok(())
}

/// `failed` as sent by `adapter` (for the sent-message metrics).
fn stored_view(failed: &MessageRecord, adapter: &str) -> MessageRecord {
    MessageRecord {
        adapter: adapter.to_owned(),
        ..failed.clone()
    }
}

/// Revisits the watched messages now due: one whose accepting instance's
/// `fallback_after` passed with nothing delivered falls back (the claim is the same
/// atomic take as for a failure report); one whose state has no use left loses it, with
/// its sealed code. A store failure leaves the rest for the next tick. Returns the
/// fallbacks started (they run in the background; tests wait for them).
pub async fn due(state: &AppState) -> Vec<tokio::task::JoinHandle<()>> {
    let now = state.now_ms();
    let expires = now + state.config.store.message_retention.as_millis() as i64;
    let mut started = Vec::new();
    loop {
        let due = state.late_fallbacks.take_due(now, BATCH);
        if due.is_empty() {
            return started;
        }
        for (i, id) in due.iter().enumerate() {
            let visit = |cur: Option<&str>| match StoredMessage::parse(cur) {
                Some(mut stored) => {
                    if let Some(late) = stored.claim_silent(now) {
                        let claimed = Some((late, stored.record.clone()));
                        (Write::Put(to_json(&stored), Some(expires)), claimed)
                    } else if stored.expire(now) {
                        (Write::Put(to_json(&stored), Some(expires)), None)
                    } else {
                        (Write::Keep, None)
                    }
                }
                None => (Write::Keep, None),
            };
            match state.store.update(Ns::Message, id, now, visit).await {
                Ok(Some((late, record))) => {
                    let silent_for = late.silent_until.unwrap_or(now) - late.accepted_at;
                    let cause = format!(
                        "no delivery report from {} within {} s",
                        record.adapter,
                        silent_for / 1000
                    );
                    let state = state.clone();
                    started.push(tokio::spawn(async move {
                        run(&state, record, late, cause).await;
                    }));
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "revisiting late-fallback windows failed; retrying on the next tick");
                    for rest in &due[i..] {
                        state.late_fallbacks.push(now, rest.clone());
                    }
                    return started;
                }
            }
        }
    }
}

/// Runs [`due`] every second (a `fallback_after` is honoured within about a second).
pub async fn tick(state: AppState) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        every.tick().await;
        drop(due(&state).await);
    }
}
