//! Adapter template: a complete SMS adapter for the imaginary "Example SMS" REST API.
//!
//! The whole contract with the gateway is the [`Adapter`] trait plus the one
//! `export_adapter!` line at the bottom; no `unsafe` is written here. Timeouts across
//! channels, retries, rate limits and metrics are the gateway's job; the SDK makes the
//! HTTP call ([`ProviderClient`]) and tracks health ([`HealthTracker`]). What is left
//! is this provider's: its request, and its answers mapped onto [`AdapterError`]
//! (`provider.rs`).

#![deny(unsafe_code)]

pub mod config;
pub mod provider;

use config::Settings;
use gateway_sdk::http::ProviderClient;
use gateway_sdk::{
    Adapter, AdapterError, CallbackError, CallbackOutcome, CallbackRequest, Capabilities, Channel,
    CreateContext, Health, HealthTracker, SendRequest, SendResult, StatusUpdate,
};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;

/// Header carrying the provider's callback signature.
pub const SIGNATURE_HEADER: &str = "x-example-signature";

/// One instance: its settings, an HTTP client (created once, reused by every send) and
/// its health.
#[derive(Debug)]
pub struct TemplateAdapter {
    settings: Settings,
    client: ProviderClient,
    health: HealthTracker,
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
        Ok(Self {
            settings,
            client: ProviderClient::new(Self::KIND, Self::VERSION)?,
            health: HealthTracker::new(),
        })
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            channels: vec![Channel::Sms],
            reachability_check: false,
            delivery_reports: self.settings.webhook_secret.is_some(),
            provider_renders_text: false,
            codes: None,
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
        let call = self
            .client
            .post(url)
            .bearer_auth(self.settings.api_key.expose())
            .json(&body);
        let deadline = Duration::from_millis(request.deadline_ms.max(1));
        let result = match self.client.send(call, deadline).await {
            Ok(answer) => provider::outcome(&answer),
            Err(transport) => Err(transport),
        };
        self.health.note(&result);
        if let Err(e) = &result {
            tracing::info!(message_id = %request.message_id, kind = e.kind(), error = %e, "example-sms send failed");
        }
        result
    }

    fn parse_callback(&self, request: &CallbackRequest) -> Result<CallbackOutcome, CallbackError> {
        // Without a secret nothing can be verified, so nothing is accepted.
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
        // A status the provider added later is ignored, not guessed.
        let updates = provider::map_status(&report.status)
            .map(|status| StatusUpdate {
                provider_message_id: report.id,
                status,
                at: None,
                error_code: None,
                detail: None,
            })
            .into_iter()
            .collect();
        Ok(CallbackOutcome {
            updates,
            reply: None,
        })
    }

    async fn health(&self) -> Health {
        self.health.health()
    }
}

gateway_sdk::export_adapter!(TemplateAdapter);
