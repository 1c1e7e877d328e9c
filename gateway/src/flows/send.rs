//! The second half of the path every code takes: after `prepare` decided everything
//! without side effects, [`dispatch`] spends quota, routes through the channels
//! (`route`) and records the message. A request refused in `prepare` or by the limits
//! calls no provider and uses up no quota.

use super::Purpose;
use super::late::StoredMessage;
use super::prepare::Prepared;
use super::record::{Attempt, AttemptOutcome, HistoryEntry, MessageRecord, new_id};
use super::route::{self, Parcel, Routed};
use crate::clock::rfc3339;
use crate::error::{ApiError, ErrorCode};
use crate::limits::SendSubject;
use crate::phone;
use crate::state::AppState;
use crate::store::{Ns, PutItem, to_json};
use std::net::IpAddr;

/// What `dispatch` needs besides the prepared send.
pub struct DispatchInput<'a> {
    /// The code to deliver.
    pub code: &'a str,
    /// What it is for.
    pub purpose: Purpose,
    /// End client's address, for the IP quota.
    pub client_ip: Option<IpAddr>,
    /// The verification it belongs to.
    pub verification_id: Option<&'a str>,
    /// How long the code stays valid (providers' validity period).
    pub code_ttl_secs: u64,
    /// Stable id of this logical send, handed to providers.
    pub idempotency_key: String,
}

/// Spends quota, routes, records; returns the stored record.
pub async fn dispatch(
    state: &AppState,
    prepared: &Prepared,
    input: &DispatchInput<'_>,
) -> Result<MessageRecord, ApiError> {
    dispatch_with(state, prepared, input, |_| Vec::new()).await
}

/// [`dispatch`], also storing what `also` derives from the sent message in the same
/// write as the message record (a verification's state after its send): one store
/// round trip less, and no moment where one is stored without the other.
pub async fn dispatch_with(
    state: &AppState,
    prepared: &Prepared,
    input: &DispatchInput<'_>,
    also: impl FnOnce(&MessageRecord) -> Vec<PutItem>,
) -> Result<MessageRecord, ApiError> {
    let subject = SendSubject {
        phone_e164: &prepared.phone.e164,
        region: prepared.phone.region.as_deref(),
        client_ip: input.client_ip,
        location_id: &prepared.location.location_id,
    };
    let admitted_at = state.now_ms();
    let admitted = match state
        .limits
        .admit_send(
            state.store.as_ref(),
            state.secret.store_keys(),
            &subject,
            admitted_at,
        )
        .await?
    {
        Ok(admitted) => admitted,
        Err(rejection) => return Err(state.reject(rejection)),
    };
    let message_id = new_id("msg");
    let parcel = Parcel {
        message_id: &message_id,
        code: input.code,
        code_ttl_secs: input.code_ttl_secs,
        idempotency_key: &input.idempotency_key,
    };
    let routed = route::route(state, prepared, &parcel).await;
    let Routed {
        accepted,
        attempts,
        retry_after_ms,
    } = routed;
    let Some((adapter, result)) = accepted else {
        // Nothing was sent: the phone's, IP's and location's budgets are given back,
        // so a retry meets the providers again, not a cooldown for a code never sent.
        let refunded = state
            .limits
            .refund_send(
                state.store.as_ref(),
                &admitted,
                subject.location_id,
                admitted_at,
            )
            .await;
        let mut wait_ms = retry_after_ms;
        if let Err(e) = refunded {
            tracing::warn!(error = %e, "quota refund failed; the retry waits for the cooldown");
            let cooldown =
                u64::try_from(state.config.limits.resend_cooldown.as_millis()).unwrap_or(u64::MAX);
            wait_ms = Some(wait_ms.unwrap_or(0).max(cooldown));
        }
        return Err(failure(&attempts, wait_ms));
    };
    let now = state.clock.now();
    let rendered = &prepared.rendered;
    let channel = route::channel_of(adapter.as_ref());
    let record = MessageRecord {
        id: message_id,
        status: result.status.into(),
        adapter: adapter.name().to_owned(),
        channel: channel.as_str().to_owned(),
        operator: rendered.operator.clone(),
        provider_message_id: result.provider_message_id.clone(),
        text: rendered.masked_text.clone(),
        encoding: rendered.encoding.as_str().to_owned(),
        segments: rendered.segments,
        units: rendered.units,
        rules_applied: rendered.rules_applied.clone(),
        location_id: prepared.location.location_id.clone(),
        phone: phone::mask(&prepared.phone.e164),
        purpose: input.purpose,
        verification_id: input.verification_id.map(str::to_owned),
        attempts,
        history: vec![HistoryEntry {
            status: result.status.into(),
            at: rfc3339(now),
            adapter: adapter.name().to_owned(),
            detail: None,
        }],
        created_at: rfc3339(now),
        updated_at: rfc3339(now),
    };
    let late = super::late::start(
        state,
        prepared,
        adapter.as_ref(),
        &record.id,
        input.code,
        input.verification_id,
    );
    let expires = Some(state.now_ms() + state.config.store.message_retention.as_millis() as i64);
    let now_ms = state.now_ms();
    // The record and the provider reference go in one write: one commit instead of two,
    // and a delivery report never finds a reference without its record.
    let pref = provider_ref(adapter.name(), &result.provider_message_id);
    let mut items = vec![
        PutItem {
            ns: Ns::Message,
            key: record.id.clone(),
            value: to_json(&StoredMessage {
                record: record.clone(),
                late_fallback: late.clone(),
            }),
            expires_at: expires,
        },
        PutItem {
            ns: Ns::ProviderRef,
            key: pref,
            value: record.id.clone(),
            expires_at: expires,
        },
    ];
    items.extend(also(&record));
    state.store.put_all(items, now_ms).await?;
    if let Some(late) = late {
        // Revisited at `fallback_after` and when the state ends (`fallback::due`).
        super::late::watch(state, &late, &record.id);
    }
    super::observe::sent(&state.metrics, &record, &prepared.rendered, channel);
    tracing::info!(
        message_id = %record.id,
        adapter = %record.adapter,
        operator = %record.operator,
        phone = %record.phone,
        attempts = record.attempts.len(),
        "code sent"
    );
    Ok(record)
}

/// The error for a message no channel accepted, by what a retry will meet:
/// every channel at its throughput limit or in-flight cap → `503 provider_throttled`;
/// none answered in time (timeouts, the rest throttled) → `504 provider_timeout`;
/// otherwise `502 provider_failed`. Each carries `retry_after` (the longest wait a
/// provider or limit asked for, at least a second), except a `502` where a provider
/// refused the recipient for good: retrying that is pointless.
pub fn failure(attempts: &[Attempt], wait_ms: Option<u64>) -> ApiError {
    let retry_after = wait_ms.map_or(1, |ms| ms.div_ceil(1000).max(1));
    let list: Vec<serde_json::Value> = attempts
        .iter()
        .map(|a| serde_json::to_value(a).unwrap_or_default())
        .collect();
    let summary = attempts
        .iter()
        .map(|a| {
            format!(
                "{} ({}): {}",
                a.adapter,
                a.outcome.as_str(),
                a.error.as_deref().unwrap_or("")
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let throttled = |a: &Attempt| a.outcome == AttemptOutcome::Throttled;
    if !attempts.is_empty() && attempts.iter().all(throttled) {
        return ApiError::new(
            ErrorCode::ProviderThrottled,
            format!("Every channel is at its throughput limit or has as many sends in flight as it may; retry in {retry_after} s. Attempts: {summary}."),
        )
        .with("retry_after", retry_after)
        .with("attempts", list);
    }
    let timed_out = |a: &Attempt| a.outcome == AttemptOutcome::Timeout;
    if attempts.iter().any(timed_out) && attempts.iter().all(|a| timed_out(a) || throttled(a)) {
        return ApiError::new(
            ErrorCode::ProviderTimeout,
            format!("No provider answered within its deadline, and nothing was sent; retry in {retry_after} s, or check the providers' status (GET /v1/adapters). Attempts: {summary}."),
        )
        .with("retry_after", retry_after)
        .with("attempts", list);
    }
    let rejected = attempts
        .iter()
        .any(|a| a.outcome == AttemptOutcome::Rejected);
    let advice = if rejected {
        "A provider refused this recipient for good; check the number with the client."
    } else {
        "Every channel failed; retry later or check the providers' status (GET /v1/adapters)."
    };
    let err = ApiError::new(
        ErrorCode::ProviderFailed,
        format!("{advice} Attempts: {summary}."),
    )
    .with("attempts", list);
    if rejected {
        err
    } else {
        err.with("retry_after", retry_after)
    }
}

/// The key under which a provider's message id points at our message.
pub fn provider_ref(adapter: &str, provider_message_id: &str) -> String {
    format!("{adapter}:{provider_message_id}")
}
