//! Generic HTTP adapter for the confirmation-code gateway: an SMS (or other) provider
//! that is "a URL we POST to", for integrators who do not write Rust.
//!
//! Each code is one `POST` of a documented JSON body to the configured `url`, signed
//! with the Standard Webhooks scheme under a shared secret (the SDK's [`signing`]
//! module, the same scheme the gateway's own webhooks use); the service's answer is
//! mapped onto the SDK's error kinds, and its signed delivery reports become status
//! updates. The contract, a Python receiver and the conformance run against a live
//! service are in docs/adapters/http.md.
//!
//! Files follow the layout every adapter shares: [`config`] (settings), [`request`]
//! (the body and headers), [`response`] (the answer's mapping), [`callback`] (reports).
//!
//! [`signing`]: gateway_sdk::signing

pub mod callback;
pub mod config;
pub mod request;
pub mod response;

#[cfg(test)]
mod tests;

use config::HttpSettings;
use gateway_sdk::http::{ProviderClient, reqwest};
use gateway_sdk::signing::SigningKey;
use gateway_sdk::{
    Adapter, AdapterError, CallbackError, CallbackOutcome, CallbackRequest, Capabilities,
    CreateContext, Health, HealthTracker, SendRequest, SendResult,
};
use std::sync::Arc;
use std::time::Duration;

/// The clock requests are signed with (Unix seconds).
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// One integrator's service.
pub struct HttpAdapter {
    /// The validated settings (`url`, channel, reports, window).
    settings: HttpSettings,
    /// The key `signing_secret` holds: signs requests, verifies reports.
    key: SigningKey,
    /// The SDK's provider HTTP client (deadline, transport errors).
    client: ProviderClient,
    /// Down while the service's last word was refused credentials, an account problem
    /// or a wrong setting, until the next accepted message.
    health: HealthTracker,
    /// Signing time; the wall clock except in tests of the receiver's freshness check.
    clock: Clock,
}

impl std::fmt::Debug for HttpAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpAdapter")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl HttpAdapter {
    /// Builds an instance from already-parsed settings.
    pub fn from_settings(settings: HttpSettings) -> Result<Self, AdapterError> {
        settings.validate()?;
        Ok(Self {
            key: settings.signing_key()?,
            client: ProviderClient::new("the HTTP service", env!("CARGO_PKG_VERSION"))?,
            settings,
            health: HealthTracker::new(),
            clock: Arc::new(|| time::OffsetDateTime::now_utc().unix_timestamp()),
        })
    }

    /// The same instance signing with `clock` instead of the wall clock (for checking
    /// that a receiver refuses stale requests).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }
}

#[gateway_sdk::async_trait]
impl Adapter for HttpAdapter {
    const KIND: &'static str = "http";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn create(settings: serde_json::Value, _ctx: CreateContext) -> Result<Self, AdapterError> {
        Self::from_settings(HttpSettings::from_json(settings)?)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            channels: vec![self.settings.channel],
            reachability_check: false,
            delivery_reports: self.settings.delivery_reports,
            provider_renders_text: false,
            codes: None,
        }
    }

    async fn send(&self, request: SendRequest) -> Result<SendResult, AdapterError> {
        let (body, headers) = request::signed(
            &self.key,
            &request,
            self.settings.delivery_reports,
            (self.clock)(),
        );
        let mut call = self
            .client
            .post(&self.settings.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body);
        for (name, value) in headers {
            call = call.header(name, value);
        }
        let deadline = Duration::from_millis(request.deadline_ms.max(1));
        let result = match self.client.send(call, deadline).await {
            Ok(answer) => response::map_answer(
                answer.status,
                answer.retry_after_ms,
                &answer.body,
                response::Redact {
                    phone: &request.phone,
                    code: &request.code,
                },
            ),
            Err(e) => Err(e),
        };
        self.health.note(&result);
        match &result {
            Ok(ok) => tracing::debug!(
                message_id = %request.message_id,
                provider_id = %ok.provider_message_id,
                "the HTTP service accepted the message"
            ),
            Err(e) => tracing::info!(
                message_id = %request.message_id,
                kind = e.kind(),
                error = %e,
                "the HTTP service did not take the message"
            ),
        }
        result
    }

    fn parse_callback(&self, request: &CallbackRequest) -> Result<CallbackOutcome, CallbackError> {
        callback::parse_report(&self.key, self.settings.callback_tolerance, request)
    }

    async fn health(&self) -> Health {
        self.health.health()
    }
}
