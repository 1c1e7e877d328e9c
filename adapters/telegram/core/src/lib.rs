//! Telegram Gateway API adapter: sends the gateway's confirmation code to the Telegram
//! account registered on a phone number (<https://core.telegram.org/gateway/api>).
//!
//! The reachability pre-check is `checkSendAbility`; its `request_id` comes back as
//! `precheck_ref` and is passed to `sendVerificationMessage` so Telegram charges once.
//! Delivery reports are verified with the token-derived HMAC and mapped by `request_id`.
//! Files: [`config`] (settings), [`request`] (API shapes), [`client`] (HTTP and error
//! mapping), [`callback`] (reports). Tests run against the fake Gateway API of the
//! `fake-providers` crate (`tests/fakes`).

pub mod callback;
pub mod client;
pub mod config;
pub mod request;
#[cfg(test)]
mod tests;

use client::{CallFailure, GatewayClient};
use config::TelegramSettings;
use gateway_sdk::{
    Adapter, AdapterError, CallbackError, CallbackOutcome, CallbackRequest, Capabilities, Channel,
    CodeRule, CreateContext, DeliveryStatus, Health, HealthTracker, Reachability, SendRequest,
    SendResult,
};
use request::CheckSendAbility;
use std::time::{Duration, Instant};

/// One Telegram Gateway instance.
pub struct TelegramAdapter {
    /// Validated settings.
    settings: TelegramSettings,
    /// HTTP client bound to the base URL and token.
    client: GatewayClient,
    /// HMAC key of delivery reports, derived once from the token.
    report_key: [u8; 32],
    /// `{public_url}/v1/callbacks/{instance}`, used when a request carries no callback URL.
    callback_url: Option<String>,
    /// Down while the last answer needed an operator (token, setting), until a success.
    health: HealthTracker,
}

impl TelegramAdapter {
    async fn send_inner(&self, req: &SendRequest) -> Result<SendResult, AdapterError> {
        let started = Instant::now();
        let deadline = Duration::from_millis(req.deadline_ms.max(1));
        let mut body = request::build_send(
            req,
            self.settings.sender_username.as_deref(),
            self.callback_url.as_deref(),
        )?;
        let mut outcome = self
            .client
            .call("sendVerificationMessage", &body, deadline)
            .await;
        // A pre-check's request_id can be spent or expired by the time the code goes out
        // (a resend, a slow user); then send again without it, paying once more.
        if let Err(CallFailure::Api { error, .. }) = &outcome
            && body.request_id.is_some()
            && error.to_ascii_uppercase().contains("REQUEST_ID")
        {
            tracing::info!(message_id = %req.message_id, "precheck request_id refused; sending without it");
            body.request_id = None;
            let left = deadline.saturating_sub(started.elapsed());
            if left.is_zero() {
                return Err(AdapterError::Timeout {
                    message: "no time was left to send again without the pre-check".into(),
                });
            }
            outcome = self
                .client
                .call("sendVerificationMessage", &body, left)
                .await;
        }
        let status = outcome.map_err(CallFailure::into_adapter_error)?;
        if status.request_id.is_empty() {
            return Err(AdapterError::transient(
                "Telegram Gateway returned an empty request_id",
            ));
        }
        let delivered = status
            .delivery_status
            .as_ref()
            .and_then(|d| callback::map_status(&d.status));
        Ok(SendResult {
            provider_message_id: status.request_id,
            status: delivered.unwrap_or(DeliveryStatus::Queued),
            segments_billed: None,
        })
    }
}

#[gateway_sdk::async_trait]
impl Adapter for TelegramAdapter {
    const KIND: &'static str = "telegram";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn create(settings: serde_json::Value, ctx: CreateContext) -> Result<Self, AdapterError> {
        let settings = TelegramSettings::from_json(settings)?;
        let client = GatewayClient::new(settings.clone())?;
        Ok(Self {
            report_key: callback::signing_key(settings.token.expose()),
            settings,
            client,
            callback_url: ctx.callback_url(),
            health: HealthTracker::new(),
        })
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            channels: vec![Channel::Telegram],
            reachability_check: true,
            delivery_reports: true,
            provider_renders_text: true,
            // Told up front, so the gateway never pays for a checkSendAbility for a
            // code Telegram would refuse (the send checks it too, `check_code`).
            codes: Some(CodeRule {
                min_len: request::CODE_MIN_DIGITS as u8,
                max_len: request::CODE_MAX_DIGITS as u8,
                digits_only: true,
            }),
        }
    }

    async fn send(&self, request: SendRequest) -> Result<SendResult, AdapterError> {
        let result = self.send_inner(&request).await;
        self.health.note(&result);
        result
    }

    async fn check_reachable(&self, phone: &str) -> Result<Reachability, AdapterError> {
        let body = CheckSendAbility {
            phone_number: phone.to_owned(),
        };
        let timeout = Duration::from_millis(self.settings.timeout_ms);
        match self.client.call("checkSendAbility", &body, timeout).await {
            Ok(status) => Ok(Reachability {
                reachable: true,
                precheck_ref: Some(status.request_id),
            }),
            Err(failure) => match failure.into_adapter_error() {
                // Telegram answers the check with an error when the phone cannot get the
                // code there (no account, invalid number): not reachable, not a fault.
                AdapterError::Unreachable { .. } | AdapterError::Rejected { .. } => {
                    Ok(Reachability {
                        reachable: false,
                        precheck_ref: None,
                    })
                }
                other => Err(other),
            },
        }
    }

    fn parse_callback(&self, request: &CallbackRequest) -> Result<CallbackOutcome, CallbackError> {
        callback::parse_report(&self.report_key, self.settings.report_max_age_secs, request)
    }

    async fn health(&self) -> Health {
        self.health.health()
    }
}
