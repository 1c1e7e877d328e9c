//! Mock adapter: appends every accepted message to a JSONL outbox and injects faults on
//! demand, so the gateway and its tests can exercise every path without a provider.
//!
//! Its "provider" is its settings ([`MockSettings`]): numbers listed in
//! `reject_numbers`, `unreachable_numbers`, `throttle_numbers`, `malformed_numbers`,
//! `stall_numbers` or `panic_numbers` get that fault; `failure_rate` fails a share of
//! the rest transiently; `latency` delays every answer. Delivery reports are accepted
//! as signed JSON (see [`callback`]).

#![deny(unsafe_code)]

pub mod callback;
mod outbox;
mod settings;

pub use outbox::OutboxLine;
pub use settings::MockSettings;

use gateway_sdk::{
    Adapter, AdapterError, CallbackError, CallbackOutcome, CallbackRequest, Capabilities,
    CreateContext, DeliveryStatus, Reachability, SendRequest, SendResult,
};
use outbox::Outbox;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// File name of the default outbox inside the gateway's data directory.
pub const DEFAULT_OUTBOX: &str = "mock-outbox.jsonl";

/// How far past its deadline a stalled send stays silent.
const STALL_MARGIN: Duration = Duration::from_secs(1);

/// The mock adapter.
#[derive(Debug)]
pub struct MockAdapter {
    settings: MockSettings,
    outbox: Outbox,
}

impl MockAdapter {
    /// Where this instance writes its outbox.
    pub fn outbox_path(&self) -> &Path {
        self.outbox.path()
    }

    fn listed(list: &[String], phone: &str) -> bool {
        list.iter().any(|n| n == phone)
    }

    fn new_provider_id() -> String {
        format!("mock_{:016x}", rand::random::<u64>())
    }
}

#[gateway_sdk::async_trait]
impl Adapter for MockAdapter {
    const KIND: &'static str = "mock";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn create(settings: serde_json::Value, ctx: CreateContext) -> Result<Self, AdapterError> {
        let settings = MockSettings::parse(settings).map_err(AdapterError::config)?;
        let path = settings
            .outbox
            .clone()
            .unwrap_or_else(|| PathBuf::from(&ctx.data_dir).join(DEFAULT_OUTBOX));
        let outbox = Outbox::open(&path).map_err(|e| {
            AdapterError::config(format!("`outbox` {} cannot be opened: {e}", path.display()))
        })?;
        tracing::info!(instance = %ctx.instance, outbox = %path.display(), "mock adapter ready");
        Ok(Self { settings, outbox })
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            channels: vec![self.settings.channel],
            reachability_check: self.settings.reachability_check,
            delivery_reports: self.settings.delivery_reports,
            provider_renders_text: false,
            codes: None,
        }
    }

    async fn send(&self, request: SendRequest) -> Result<SendResult, AdapterError> {
        let s = &self.settings;
        let phone = request.phone.as_str();
        if Self::listed(&s.panic_numbers, phone) {
            panic!("mock: {phone} is listed in panic_numbers");
        }
        if Self::listed(&s.stall_numbers, phone) {
            tokio::time::sleep(Duration::from_millis(request.deadline_ms) + STALL_MARGIN).await;
            return Err(AdapterError::Timeout {
                message: "mock provider stalled".into(),
            });
        }
        if !s.latency.is_zero() {
            tokio::time::sleep(s.latency).await;
        }
        if Self::listed(&s.reject_numbers, phone) {
            return Err(AdapterError::Rejected {
                message: "mock provider rejects this number".into(),
                provider_code: Some("mock-reject".into()),
            });
        }
        if Self::listed(&s.unreachable_numbers, phone) {
            return Err(AdapterError::unreachable(
                "mock channel cannot reach this number",
            ));
        }
        if Self::listed(&s.throttle_numbers, phone) {
            return Err(AdapterError::Throttled {
                message: "mock provider throttles this number".into(),
                retry_after_ms: Some(1000),
            });
        }
        if Self::listed(&s.malformed_numbers, phone) {
            let answer = serde_json::from_str::<serde_json::Value>("{\"sid\": ");
            if let Err(e) = answer {
                return Err(AdapterError::transient(format!(
                    "undecodable provider answer: {e}"
                )));
            }
        }
        if s.failure_rate > 0.0 && rand::random::<f64>() < s.failure_rate {
            return Err(AdapterError::transient(
                "mock provider failed (failure_rate)",
            ));
        }
        let provider_message_id = Self::new_provider_id();
        let at = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .map_err(|e| AdapterError::Internal {
                message: format!("clock: {e}"),
            })?;
        let line = OutboxLine {
            to: phone,
            text: &request.text,
            code: &request.code,
            channel: s.channel.as_str(),
            at,
            idempotency_key: &request.idempotency_key,
            message_id: &request.message_id,
            provider_message_id: &provider_message_id,
        };
        self.outbox
            .append(&line)
            .map_err(|e| AdapterError::transient(format!("mock outbox write failed: {e}")))?;
        tracing::debug!(message_id = %request.message_id, "mock accepted a message");
        Ok(SendResult {
            provider_message_id,
            status: DeliveryStatus::Sent,
            segments_billed: Some(1),
        })
    }

    async fn check_reachable(&self, phone: &str) -> Result<Reachability, AdapterError> {
        if !self.settings.latency.is_zero() {
            tokio::time::sleep(self.settings.latency).await;
        }
        if Self::listed(&self.settings.unreachable_numbers, phone) {
            return Ok(Reachability {
                reachable: false,
                precheck_ref: None,
            });
        }
        Ok(Reachability {
            reachable: true,
            precheck_ref: Some(Self::new_provider_id()),
        })
    }

    fn parse_callback(&self, request: &CallbackRequest) -> Result<CallbackOutcome, CallbackError> {
        match &self.settings.callback_secret {
            Some(secret) => callback::parse(secret.expose(), request),
            None => Err(CallbackError::Unsupported),
        }
    }
}

#[cfg(test)]
mod tests;
