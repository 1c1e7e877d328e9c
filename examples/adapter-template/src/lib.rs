//! Adapter template: a complete SMS adapter for the imaginary "Example SMS" REST API.
//!
//! The whole contract with the gateway is the [`Adapter`] trait plus the one
//! `export_adapter!` line at the bottom; no `unsafe` is written here. Timeouts across
//! channels, retries, rate limits and metrics are the gateway's job: an adapter turns a
//! request into a provider call and the provider's answer into a result or an
//! [`AdapterError`] variant.

#![deny(unsafe_code)]

pub mod config;
pub mod provider;

use config::Settings;
use gateway_sdk::{
    Adapter, AdapterError, CallbackError, CallbackOutcome, CallbackRequest, Capabilities, Channel,
    CreateContext, DeliveryStatus, SendRequest, SendResult, StatusUpdate,
};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;

/// Header carrying the provider's callback signature.
pub const SIGNATURE_HEADER: &str = "x-example-signature";

/// One instance: its settings and an HTTP client (created once, reused by every send).
#[derive(Debug)]
pub struct TemplateAdapter {
    settings: Settings,
    http: reqwest::Client,
}

/// Hex HMAC-SHA256 of `body` under `secret`, as the provider signs callbacks.
pub fn sign(secret: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .expect("HMAC-SHA256 accepts keys of any length");
    mac.update(body.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[gateway_sdk::async_trait]
impl Adapter for TemplateAdapter {
    const KIND: &'static str = "example-sms";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn create(settings: serde_json::Value, _ctx: CreateContext) -> Result<Self, AdapterError> {
        let settings: Settings = serde_json::from_value(settings)
            .map_err(|e| AdapterError::config(format!("example-sms settings: {e}")))?;
        if !settings.base_url.starts_with("http://") && !settings.base_url.starts_with("https://") {
            return Err(AdapterError::config("`base_url` must be an http(s) URL"));
        }
        let http = reqwest::Client::builder()
            .build()
            .map_err(|e| AdapterError::config(format!("HTTP client: {e}")))?;
        Ok(Self { settings, http })
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            channels: vec![Channel::Sms],
            reachability_check: false,
            delivery_reports: self.settings.webhook_secret.is_some(),
            provider_renders_text: false,
        }
    }

    async fn send(&self, request: SendRequest) -> Result<SendResult, AdapterError> {
        let url = format!(
            "{}/v1/messages",
            self.settings.base_url.trim_end_matches('/')
        );
        let body = provider::MessageRequest {
            to: &request.phone,
            text: &request.text,
            reference: &request.message_id,
            sender: request
                .sender_id
                .as_deref()
                .or(self.settings.sender.as_deref()),
        };
        let response = self
            .http
            .post(url)
            .bearer_auth(self.settings.api_key.expose())
            .timeout(Duration::from_millis(request.deadline_ms.max(1)))
            .json(&body)
            .send()
            .await
            .map_err(map_transport)?;
        let status = response.status().as_u16();
        let retry_after_ms = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .map(|secs| secs * 1000);
        let text = response.text().await.map_err(map_transport)?;
        if !(200..300).contains(&status) {
            return Err(provider::error_for(status, &text, retry_after_ms));
        }
        let accepted: provider::MessageAccepted = serde_json::from_str(&text)
            .map_err(|e| AdapterError::transient(format!("undecodable provider answer: {e}")))?;
        tracing::debug!(message_id = %request.message_id, "example-sms accepted a message");
        Ok(SendResult {
            provider_message_id: accepted.id,
            status: DeliveryStatus::Queued,
            segments_billed: None,
        })
    }

    fn parse_callback(&self, request: &CallbackRequest) -> Result<CallbackOutcome, CallbackError> {
        let secret = self
            .settings
            .webhook_secret
            .as_ref()
            .ok_or(CallbackError::Unsupported)?;
        let given = request.header(SIGNATURE_HEADER).unwrap_or_default();
        let given = hex::decode(given.trim()).map_err(|_| CallbackError::Signature {
            message: "signature is not hex".into(),
        })?;
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes())
            .expect("HMAC-SHA256 accepts keys of any length");
        mac.update(request.body.as_bytes());
        mac.verify_slice(&given) // constant-time comparison
            .map_err(|_| CallbackError::Signature {
                message: "signature does not match".into(),
            })?;
        let report: provider::DeliveryReport =
            serde_json::from_str(&request.body).map_err(|e| CallbackError::Malformed {
                message: e.to_string(),
            })?;
        Ok(CallbackOutcome {
            updates: vec![StatusUpdate {
                provider_message_id: report.id,
                status: report.status,
                at: None,
                error_code: None,
                detail: None,
            }],
            reply: None,
        })
    }
}

/// Transport failures: our own timeout is `Timeout`, anything else may pass.
fn map_transport(e: reqwest::Error) -> AdapterError {
    if e.is_timeout() {
        AdapterError::Timeout {
            message: "example-sms did not answer in time".into(),
        }
    } else {
        AdapterError::transient(format!("example-sms unreachable: {e}"))
    }
}

gateway_sdk::export_adapter!(TemplateAdapter);
