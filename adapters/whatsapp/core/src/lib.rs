//! WhatsApp Cloud API adapter: sends the gateway's confirmation code as an approved
//! authentication template (copy-code / one-tap button), where the code fills both the
//! body parameter and the URL button parameter.
//!
//! Delivery arrives as webhook notifications, verified with the app secret; the `GET`
//! subscription handshake is answered through [`CallbackOutcome::reply`]. Files:
//! [`config`] (settings), [`request`] (API shapes), [`client`] (HTTP and error mapping),
//! [`callback`] (webhooks). Tests run against the fake Cloud API of the `fake-providers`
//! crate (`tests/fakes`).

pub mod callback;
pub mod client;
pub mod config;
pub mod request;
#[cfg(test)]
mod tests;

use client::CloudClient;
use config::WhatsAppSettings;
use gateway_sdk::{
    Adapter, AdapterError, CallbackError, CallbackOutcome, CallbackRequest, Capabilities, Channel,
    CreateContext, DeliveryStatus, Health, HealthTracker, SendRequest, SendResult,
};
use std::time::Duration;

/// One WhatsApp Cloud API instance (one business phone number).
pub struct WhatsAppAdapter {
    /// Validated settings (template, secrets).
    settings: WhatsAppSettings,
    /// HTTP client bound to the messages endpoint.
    client: CloudClient,
    /// Down while the last answer needed an operator (token, template), until a success.
    health: HealthTracker,
}

#[gateway_sdk::async_trait]
impl Adapter for WhatsAppAdapter {
    const KIND: &'static str = "whatsapp";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn create(settings: serde_json::Value, _ctx: CreateContext) -> Result<Self, AdapterError> {
        let settings = WhatsAppSettings::from_json(settings)?;
        let client = CloudClient::new(settings.clone())?;
        Ok(Self {
            settings,
            client,
            health: HealthTracker::new(),
        })
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            channels: vec![Channel::Whatsapp],
            reachability_check: false,
            delivery_reports: true,
            provider_renders_text: true,
            codes: None,
        }
    }

    async fn send(&self, request: SendRequest) -> Result<SendResult, AdapterError> {
        let message = request::build(&request, &self.settings)?;
        let timeout = Duration::from_millis(request.deadline_ms.max(1));
        let result = self
            .client
            .send(&message, timeout)
            .await
            .map(|id| SendResult {
                provider_message_id: id,
                status: DeliveryStatus::Queued,
                segments_billed: None,
            });
        self.health.note(&result);
        result
    }

    fn parse_callback(&self, request: &CallbackRequest) -> Result<CallbackOutcome, CallbackError> {
        callback::parse(
            self.settings.app_secret.expose(),
            self.settings.verify_token.expose(),
            self.settings.report_max_age_secs,
            request,
        )
    }

    async fn health(&self) -> Health {
        self.health.health()
    }
}
