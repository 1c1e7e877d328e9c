//! Twilio-style SMS adapter for the confirmation-code gateway.
//!
//! Sends each code as one Programmable Messaging `Create Message` call
//! (`POST /2010-04-01/Accounts/{Sid}/Messages.json`, form-encoded, Basic auth) and turns
//! Twilio's signed status callbacks into delivery updates. Built as a `cdylib` that the
//! gateway loads at start-up; the same type runs in-process in tests.
//!
//! Files follow the adapter layout every adapter shares: [`config`] (settings),
//! [`request`] (building the provider request), [`client`] (HTTP and error mapping),
//! [`callback`] (signature and parsing), and `fake` (feature `fake-server`), a faithful
//! fake Twilio for tests.

pub mod callback;
pub mod client;
pub mod config;
pub mod request;

#[cfg(any(test, feature = "fake-server"))]
pub mod fake;

#[cfg(test)]
mod tests;

use client::TwilioClient;
use config::TwilioSettings;
use gateway_sdk::{
    Adapter, AdapterError, CallbackError, CallbackOutcome, CallbackRequest, Capabilities, Channel,
    CreateContext, Health, SendRequest, SendResult,
};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// One Twilio account (or API key) with one default sender.
#[derive(Debug)]
pub struct TwilioAdapter {
    /// The validated settings; the auth token also verifies callbacks.
    settings: TwilioSettings,
    /// HTTP client bound to this account's Messages resource.
    client: TwilioClient,
    /// Set when Twilio last refused the credentials, cleared on the next success, so
    /// `health` tells operators to fix the key without waiting for a config reload.
    credentials_refused: AtomicBool,
}

impl TwilioAdapter {
    /// Builds an instance from already-parsed settings.
    pub fn from_settings(settings: TwilioSettings) -> Result<Self, AdapterError> {
        settings.validate()?;
        let client = TwilioClient::new(&settings)?;
        Ok(Self {
            settings,
            client,
            credentials_refused: AtomicBool::new(false),
        })
    }
}

#[gateway_sdk::async_trait]
impl Adapter for TwilioAdapter {
    const KIND: &'static str = "twilio";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn create(settings: serde_json::Value, _ctx: CreateContext) -> Result<Self, AdapterError> {
        Self::from_settings(TwilioSettings::from_json(settings)?)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            channels: vec![Channel::Sms],
            reachability_check: false,
            delivery_reports: self.settings.status_callbacks,
            provider_renders_text: false,
        }
    }

    async fn send(&self, request: SendRequest) -> Result<SendResult, AdapterError> {
        let form = request::message_form(&self.settings, &request);
        let deadline = Duration::from_millis(request.deadline_ms.max(1));
        let result = self.client.create_message(&form, deadline).await;
        match &result {
            Ok(ok) => {
                self.credentials_refused.store(false, Ordering::Relaxed);
                tracing::debug!(
                    message_id = %request.message_id,
                    sid = %ok.provider_message_id,
                    status = ok.status.as_str(),
                    "twilio accepted message"
                );
            }
            Err(e) => {
                if matches!(e, AdapterError::Auth { .. }) {
                    self.credentials_refused.store(true, Ordering::Relaxed);
                }
                tracing::info!(message_id = %request.message_id, kind = e.kind(), error = %e, "twilio send failed");
            }
        }
        result
    }

    fn parse_callback(&self, request: &CallbackRequest) -> Result<CallbackOutcome, CallbackError> {
        callback::parse_status_callback(self.settings.auth_token.expose(), request)
    }

    async fn health(&self) -> Health {
        if self.credentials_refused.load(Ordering::Relaxed) {
            Health::down(
                "twilio refused the credentials on the last send; check account_sid/auth_token or the API key",
            )
        } else {
            Health::up()
        }
    }
}

gateway_sdk::export_adapter!(TwilioAdapter);
