//! Twilio-style SMS adapter for the confirmation-code gateway.
//!
//! Sends each code as one Programmable Messaging `Create Message` call
//! (`POST /2010-04-01/Accounts/{Sid}/Messages.json`, form-encoded, Basic auth) and turns
//! Twilio's signed status callbacks into delivery updates. The `cdylib` the gateway
//! loads at start-up is the `adapter-twilio` crate one directory up, which only exports
//! this type; here it runs in-process in tests.
//!
//! Files follow the adapter layout every adapter shares: [`config`] (settings),
//! [`request`] (building the provider request), [`client`] (HTTP and error mapping),
//! [`callback`] (signature and parsing). Its tests run against the faithful fake Twilio
//! of the `fake-providers` crate (`tests/fakes`).

pub mod callback;
pub mod client;
pub mod config;
pub mod request;

#[cfg(test)]
mod tests;

use client::TwilioClient;
use config::TwilioSettings;
use gateway_sdk::{
    Adapter, AdapterError, CallbackError, CallbackOutcome, CallbackRequest, Capabilities, Channel,
    CreateContext, Health, HealthTracker, SendRequest, SendResult,
};
use std::time::Duration;

/// One Twilio account (or API key) with one default sender.
#[derive(Debug)]
pub struct TwilioAdapter {
    /// The validated settings; the auth token also verifies callbacks.
    settings: TwilioSettings,
    /// HTTP client bound to this account's Messages resource.
    client: TwilioClient,
    /// Down while Twilio's last word was refused credentials or a wrong setting, until
    /// the next success, so operators see it without waiting for a config reload.
    health: HealthTracker,
}

impl TwilioAdapter {
    /// Builds an instance from already-parsed settings.
    pub fn from_settings(settings: TwilioSettings) -> Result<Self, AdapterError> {
        settings.validate()?;
        let client = TwilioClient::new(&settings)?;
        Ok(Self {
            settings,
            client,
            health: HealthTracker::new(),
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
            codes: None,
        }
    }

    async fn send(&self, request: SendRequest) -> Result<SendResult, AdapterError> {
        let form = request::message_form(&self.settings, &request);
        let deadline = Duration::from_millis(request.deadline_ms.max(1));
        let result = self.client.create_message(&form, deadline).await;
        self.health.note(&result);
        match &result {
            Ok(ok) => {
                tracing::debug!(
                    message_id = %request.message_id,
                    sid = %ok.provider_message_id,
                    status = ok.status.as_str(),
                    "twilio accepted message"
                );
            }
            Err(e) => {
                tracing::info!(message_id = %request.message_id, kind = e.kind(), error = %e, "twilio send failed");
            }
        }
        result
    }

    fn parse_callback(&self, request: &CallbackRequest) -> Result<CallbackOutcome, CallbackError> {
        callback::parse_status_callback(self.settings.auth_token.expose(), request)
    }

    async fn health(&self) -> Health {
        self.health.health()
    }
}
