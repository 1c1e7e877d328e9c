//! Routing one message through the location's channels in order.
//!
//! For each channel: wait (briefly) for a throughput permit, ask a chatbot whether the
//! phone is reachable if it can tell, then send under the instance's deadline. On
//! `Unreachable`, `Transient`, `Throttled`, a timeout or a broken adapter, move on to
//! the next channel; on `Rejected`, stop: the recipient is refused for good. Every
//! attempt goes through [`Trail`], which records it, counts it and logs it in one place.
//! Routing decides nothing about HTTP: `send::dispatch` turns the attempts into the
//! caller's answer.

use super::prepare::Prepared;
use super::record::{Attempt, AttemptOutcome};
use crate::adapters::AdapterInstance;
use crate::metrics::MessageOutcome;
use crate::state::AppState;
use gateway_sdk::{AdapterError, Channel, SendRequest, SendResult};
use std::sync::Arc;
use std::time::Instant;

/// What is handed to each provider besides the prepared text.
pub struct Parcel<'a> {
    /// Our message id.
    pub message_id: &'a str,
    /// The code to deliver.
    pub code: &'a str,
    /// How long the code stays valid (providers' validity period).
    pub code_ttl_secs: u64,
    /// Stable id of this logical send; each instance gets `<key>:<instance>`.
    pub idempotency_key: &'a str,
}

/// The outcome of routing.
pub struct Routed {
    /// The instance that accepted the message, and what it said.
    pub accepted: Option<(Arc<dyn AdapterInstance>, SendResult)>,
    /// Every attempt, in order (including the accepted one).
    pub attempts: Vec<Attempt>,
    /// The longest wait a provider (or the gateway's throughput limit) asked for, in
    /// milliseconds, when one did.
    pub retry_after_ms: Option<u64>,
}

/// The attempts of one routing, each recorded with its metric, its log line and its
/// entry on the channel board.
struct Trail<'a> {
    state: &'a AppState,
    operator: &'a str,
    attempts: Vec<Attempt>,
    retry_after_ms: Option<u64>,
}

impl Trail<'_> {
    /// Notes an attempt on `adapter`.
    fn note(
        &mut self,
        adapter: &dyn AdapterInstance,
        outcome: AttemptOutcome,
        error: Option<String>,
    ) {
        let error = error.map(|e| crate::phone::redact_numbers(&e));
        self.state.channel_board.note(
            adapter.name(),
            outcome.as_str(),
            error.clone(),
            crate::clock::rfc3339(self.state.clock.now()),
        );
        self.attempts.push(Attempt {
            adapter: adapter.name().to_owned(),
            channel: channel_of(adapter).as_str().to_owned(),
            outcome,
            error,
        });
    }

    /// Notes a failed attempt: the attempt, the message metric and a log line.
    fn failed(
        &mut self,
        adapter: &dyn AdapterInstance,
        outcome: AttemptOutcome,
        metric: MessageOutcome,
        error: String,
    ) {
        self.state.metrics.record_message(
            adapter.metric_label(),
            channel_of(adapter),
            Some(self.operator),
            metric,
        );
        tracing::warn!(
            adapter = adapter.name(),
            outcome = outcome.as_str(),
            error = %crate::phone::redact_numbers(&error),
            "send attempt failed"
        );
        self.note(adapter, outcome, Some(error));
    }

    /// Notes an adapter's error; marks the instance down when it needs an operator.
    fn adapter_error(&mut self, adapter: &dyn AdapterInstance, e: &AdapterError) {
        if let AdapterError::Throttled {
            retry_after_ms: Some(ms),
            ..
        } = e
        {
            self.wait_at_least(*ms);
        }
        if e.needs_operator() {
            self.state
                .metrics
                .set_adapter_up(adapter.metric_label(), false);
        }
        self.failed(
            adapter,
            AttemptOutcome::of(e),
            MessageOutcome::from_error(e),
            e.to_string(),
        );
    }

    fn wait_at_least(&mut self, ms: u64) {
        self.retry_after_ms = Some(self.retry_after_ms.map_or(ms, |w| w.max(ms)));
    }
}

/// Tries the prepared channels in order until one accepts.
pub async fn route(state: &AppState, prepared: &Prepared, parcel: &Parcel<'_>) -> Routed {
    let operator = prepared.rendered.operator.as_str();
    let mut trail = Trail {
        state,
        operator,
        attempts: Vec::new(),
        retry_after_ms: None,
    };
    let mut previous: Option<&str> = None;
    for adapter in &prepared.channels {
        if let Some(from) = previous {
            state.metrics.record_fallback(from, adapter.metric_label());
        }
        previous = Some(adapter.metric_label());
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
            let wait = throttled.retry_after;
            trail.wait_at_least(u64::try_from(wait.as_millis()).unwrap_or(u64::MAX));
            trail.failed(
                adapter.as_ref(),
                AttemptOutcome::Throttled,
                MessageOutcome::Throttled,
                format!(
                    "gateway throughput limit; next permit in {:.3}s",
                    wait.as_secs_f64()
                ),
            );
            continue;
        }
        if let Some(rule) = adapter.capabilities().codes
            && !rule.carries(parcel.code)
        {
            // Asked before any reachability pre-check, which a provider may charge for.
            trail.failed(
                adapter.as_ref(),
                AttemptOutcome::Unreachable,
                MessageOutcome::Unreachable,
                format!("this channel carries {rule} only"),
            );
            continue;
        }
        let mut precheck_ref = None;
        if adapter.capabilities().reachability_check {
            match adapter.check_reachable(&prepared.phone.e164).await {
                Ok(r) if r.reachable => precheck_ref = r.precheck_ref,
                Ok(_) => {
                    trail.failed(
                        adapter.as_ref(),
                        AttemptOutcome::Unreachable,
                        MessageOutcome::Unreachable,
                        "the phone cannot receive codes on this channel".into(),
                    );
                    continue;
                }
                Err(e) => {
                    trail.adapter_error(adapter.as_ref(), &e);
                    if e.try_next_channel() {
                        continue;
                    }
                    break;
                }
            }
        }
        let request = send_request(state, prepared, parcel, adapter.as_ref(), precheck_ref);
        let started = Instant::now();
        let inflight = state.metrics.adapter_inflight(adapter.metric_label());
        let result = adapter.send(request).await;
        drop(inflight);
        state
            .metrics
            .observe_adapter_send(adapter.metric_label(), started.elapsed());
        match result {
            Ok(ok) => {
                trail.note(adapter.as_ref(), AttemptOutcome::Sent, None);
                return Routed {
                    accepted: Some((adapter.clone(), ok)),
                    attempts: trail.attempts,
                    retry_after_ms: None,
                };
            }
            Err(e) => {
                trail.adapter_error(adapter.as_ref(), &e);
                if !e.try_next_channel() {
                    break;
                }
            }
        }
    }
    Routed {
        accepted: None,
        attempts: trail.attempts,
        retry_after_ms: trail.retry_after_ms,
    }
}

/// The request one instance gets.
fn send_request(
    state: &AppState,
    prepared: &Prepared,
    parcel: &Parcel<'_>,
    adapter: &dyn AdapterInstance,
    precheck_ref: Option<String>,
) -> SendRequest {
    SendRequest {
        message_id: parcel.message_id.to_owned(),
        phone: prepared.phone.e164.clone(),
        text: prepared.rendered.text.clone(),
        code: parcel.code.to_owned(),
        title: prepared.rendered.title_used.clone(),
        language: prepared.location.language.clone(),
        sender_id: prepared.rendered.sender_id.clone(),
        code_ttl_secs: parcel.code_ttl_secs,
        deadline_ms: adapter.timeout().as_millis() as u64,
        idempotency_key: format!("{}:{}", parcel.idempotency_key, adapter.name()),
        callback_url: callback_url(state, adapter),
        precheck_ref,
        encoding: Some(match prepared.rendered.encoding {
            crate::render::Encoding::Gsm7 => gateway_sdk::TextEncoding::Gsm7,
            crate::render::Encoding::Ucs2 => gateway_sdk::TextEncoding::Ucs2,
        }),
        segments: Some(prepared.rendered.segments),
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
