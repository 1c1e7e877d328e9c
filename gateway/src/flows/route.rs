//! Routing one message through the location's channels in order.
//!
//! For each channel: wait (briefly) for a throughput permit, ask a chatbot whether the
//! phone is reachable if it can tell, then send under the instance's deadline. On
//! `Unreachable`, `Transient`, `Throttled`, a timeout or a broken adapter, move on to
//! the next channel; on `Rejected`, stop: the recipient is refused for good. Every
//! attempt is recorded and timed.

use super::record::Attempt;
use super::send::{DispatchInput, Prepared};
use crate::adapters::AdapterInstance;
use crate::error::{ApiError, ErrorCode};
use crate::metrics::MessageOutcome;
use crate::state::AppState;
use gateway_sdk::{Channel, SendRequest, SendResult};
use std::sync::Arc;
use std::time::Instant;

/// The outcome of routing.
pub struct Routed {
    /// The instance that accepted the message, and what it said.
    pub accepted: Option<(Arc<dyn AdapterInstance>, SendResult)>,
    /// Every attempt, in order (including the accepted one).
    pub attempts: Vec<Attempt>,
}

fn attempt(
    state: &AppState,
    adapter: &dyn AdapterInstance,
    outcome: &str,
    error: Option<String>,
) -> Attempt {
    let error = error.map(|e| crate::phone::redact_numbers(&e));
    state.channel_board.note(
        adapter.name(),
        outcome,
        error.clone(),
        crate::clock::rfc3339(state.clock.now()),
    );
    Attempt {
        adapter: adapter.name().to_owned(),
        channel: channel_of(adapter).as_str().to_owned(),
        outcome: outcome.to_owned(),
        error,
    }
}

/// Tries the prepared channels in order until one accepts.
pub async fn route(
    state: &AppState,
    prepared: &Prepared,
    message_id: &str,
    input: &DispatchInput<'_>,
) -> Routed {
    let mut attempts = Vec::new();
    let mut previous: Option<&str> = None;
    for adapter in &prepared.channels {
        if let Some(from) = previous {
            state.metrics.record_fallback(from, adapter.metric_label());
        }
        previous = Some(adapter.metric_label());
        let operator = prepared.rendered.operator.as_str();
        let now = || state.now_ms();
        let permit = state
            .limits
            .acquire_throughput_scoped(state.store.as_ref(), adapter.name(), operator, &now)
            .await
            .unwrap_or_else(|e| {
                // Shared buckets unreachable: this channel counts as throttled.
                tracing::warn!(error = %e, "shared throughput bucket unavailable");
                Err(crate::limits::Throttled {
                    retry_after: std::time::Duration::from_secs(1),
                    kind: crate::metrics::LimitKind::AdapterThroughput,
                })
            });
        if let Err(throttled) = permit {
            let secs = throttled.retry_after.as_secs_f64();
            attempts.push(attempt(
                state,
                adapter.as_ref(),
                "throttled",
                Some(format!(
                    "gateway throughput limit; next permit in {secs:.3}s"
                )),
            ));
            state.metrics.record_message(
                adapter.metric_label(),
                channel_of(adapter.as_ref()),
                Some(operator),
                MessageOutcome::Throttled,
            );
            continue;
        }
        let mut precheck_ref = None;
        if adapter.capabilities().reachability_check {
            match adapter.check_reachable(&prepared.phone.e164).await {
                Ok(r) if r.reachable => precheck_ref = r.precheck_ref,
                Ok(_) => {
                    attempts.push(attempt(
                        state,
                        adapter.as_ref(),
                        "unreachable",
                        Some("the phone cannot receive codes on this channel".into()),
                    ));
                    state.metrics.record_message(
                        adapter.metric_label(),
                        channel_of(adapter.as_ref()),
                        Some(operator),
                        MessageOutcome::Unreachable,
                    );
                    continue;
                }
                Err(e) => {
                    attempts.push(attempt(
                        state,
                        adapter.as_ref(),
                        e.kind(),
                        Some(e.to_string()),
                    ));
                    state.metrics.record_message(
                        adapter.metric_label(),
                        channel_of(adapter.as_ref()),
                        Some(operator),
                        MessageOutcome::from_error(&e),
                    );
                    if e.try_next_channel() {
                        continue;
                    }
                    break;
                }
            }
        }
        let request = SendRequest {
            message_id: message_id.to_owned(),
            phone: prepared.phone.e164.clone(),
            text: prepared.rendered.text.clone(),
            code: input.code.to_owned(),
            title: prepared.rendered.title_used.clone(),
            language: prepared.location.language.clone(),
            sender_id: prepared.rendered.sender_id.clone(),
            code_ttl_secs: input.code_ttl_secs,
            deadline_ms: adapter.timeout().as_millis() as u64,
            idempotency_key: format!("{}:{}", input.idempotency_key, adapter.name()),
            callback_url: callback_url(state, adapter.as_ref()),
            precheck_ref,
            encoding: Some(match prepared.rendered.encoding {
                crate::render::Encoding::Gsm7 => gateway_sdk::TextEncoding::Gsm7,
                crate::render::Encoding::Ucs2 => gateway_sdk::TextEncoding::Ucs2,
            }),
            segments: Some(prepared.rendered.segments),
        };
        let started = Instant::now();
        let inflight = state.metrics.adapter_inflight(adapter.metric_label());
        let result = adapter.send(request).await;
        drop(inflight);
        state
            .metrics
            .observe_adapter_send(adapter.metric_label(), started.elapsed());
        match result {
            Ok(ok) => {
                attempts.push(attempt(state, adapter.as_ref(), "sent", None));
                return Routed {
                    accepted: Some((adapter.clone(), ok)),
                    attempts,
                };
            }
            Err(e) => {
                tracing::warn!(adapter = adapter.name(), kind = e.kind(), error = %crate::phone::redact_numbers(&e.to_string()), "send attempt failed");
                state.metrics.record_message(
                    adapter.metric_label(),
                    channel_of(adapter.as_ref()),
                    Some(operator),
                    MessageOutcome::from_error(&e),
                );
                attempts.push(attempt(
                    state,
                    adapter.as_ref(),
                    e.kind(),
                    Some(e.to_string()),
                ));
                if e.needs_operator() {
                    state.metrics.set_adapter_up(adapter.metric_label(), false);
                }
                if !e.try_next_channel() {
                    break;
                }
            }
        }
    }
    Routed {
        accepted: None,
        attempts,
    }
}

/// The channel an instance delivers on (its first; SMS if it names none).
pub fn channel_of(adapter: &dyn AdapterInstance) -> Channel {
    adapter
        .capabilities()
        .channels
        .first()
        .copied()
        .unwrap_or(Channel::Sms)
}

/// Where the provider should post delivery reports for this instance.
fn callback_url(state: &AppState, adapter: &dyn AdapterInstance) -> Option<String> {
    if !adapter.capabilities().delivery_reports {
        return None;
    }
    state.config.server.public_url.as_ref().map(|u| {
        format!(
            "{}/v1/callbacks/{}",
            u.trim_end_matches('/'),
            adapter.name()
        )
    })
}

/// The error for a message no channel accepted.
pub fn failure(attempts: &[Attempt]) -> ApiError {
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
                a.outcome,
                a.error.as_deref().unwrap_or("")
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    if !attempts.is_empty() && attempts.iter().all(|a| a.outcome == "throttled") {
        return ApiError::new(ErrorCode::ProviderThrottled, format!("Every channel is at its configured throughput limit; retry in a second. Attempts: {summary}."),
        )
        .with("retry_after", 1)
        .with("attempts", list);
    }
    let rejected = attempts.iter().any(|a| a.outcome == "rejected");
    let advice = if rejected {
        "A provider refused this recipient for good; check the number with the client."
    } else {
        "Every channel failed; retry later or check the providers' status (GET /v1/adapters)."
    };
    ApiError::new(
        ErrorCode::ProviderFailed,
        format!("{advice} Attempts: {summary}."),
    )
    .with("attempts", list)
}
