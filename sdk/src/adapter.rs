//! The safe trait adapter authors implement.

use crate::{
    AdapterError, CallbackError, CallbackOutcome, CallbackRequest, Capabilities, Health,
    Reachability, Reports, SendRequest, SendResult,
};
use serde::{Deserialize, Serialize};

/// What the gateway tells an instance when it creates it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateContext {
    /// The instance name from the gateway config (`sms-main`); several instances may
    /// share one library.
    pub instance: String,
    /// The gateway's data directory, for adapters that keep files (the mock's outbox).
    pub data_dir: String,
    /// The gateway's public base URL, if configured; callbacks go to
    /// `{public_url}/v1/callbacks/{instance}`.
    #[serde(default)]
    pub public_url: Option<String>,
}

impl CreateContext {
    /// The callback URL for this instance, if the gateway has a public URL.
    pub fn callback_url(&self) -> Option<String> {
        self.public_url
            .as_ref()
            .map(|u| format!("{}/v1/callbacks/{}", u.trim_end_matches('/'), self.instance))
    }
}

/// A provider adapter. Implement this, then write `export_adapter!(YourType);`.
///
/// All methods may be called concurrently from many tasks. `send` and
/// `check_reachable` run on the adapter library's own tokio runtime, so they may use
/// tokio and reqwest freely. Timeouts, retries across channels, rate limits and metrics
/// are the gateway's job; an adapter maps its provider's answers onto
/// [`AdapterError`] and nothing more.
#[crate::async_trait]
pub trait Adapter: Send + Sync + Sized + 'static {
    /// The adapter kind, e.g. `"twilio"`. Shown in `GET /v1/adapters`.
    const KIND: &'static str;
    /// The adapter's own version, usually `env!("CARGO_PKG_VERSION")`.
    const VERSION: &'static str;

    /// Builds an instance from its `settings` table of the gateway config (as JSON).
    /// Return [`AdapterError::Config`] naming the setting when it is wrong.
    fn create(settings: serde_json::Value, ctx: CreateContext) -> Result<Self, AdapterError>;

    /// What this instance can do.
    fn capabilities(&self) -> Capabilities;

    /// Sends one message; resolves once the provider has accepted or refused it.
    async fn send(&self, request: SendRequest) -> Result<SendResult, AdapterError>;

    /// Whether `phone` (E.164) can receive a code on this channel. Only called when
    /// [`Capabilities::reachability_check`] is `true`.
    async fn check_reachable(&self, _phone: &str) -> Result<Reachability, AdapterError> {
        Ok(Reachability {
            reachable: true,
            precheck_ref: None,
        })
    }

    /// Verifies the provider's signature on a callback and parses its status updates.
    fn parse_callback(&self, _request: &CallbackRequest) -> Result<CallbackOutcome, CallbackError> {
        Err(CallbackError::Unsupported)
    }

    /// Whether the instance can send now.
    async fn health(&self) -> Health {
        Health::up()
    }

    /// Receives the handle through which this instance pushes status updates that reach
    /// it outside HTTP callbacks (an SMPP `deliver_sm` receipt); see [`Reports`]. Called
    /// once, right after `create`. Keep a clone; the default ignores it.
    fn attach_reports(&self, _reports: Reports) {}
}
