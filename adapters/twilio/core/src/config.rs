//! Settings of one Twilio adapter instance: the `settings` table of an `[[adapters]]`
//! block in the gateway config, checked once at creation so a bad value fails start-up
//! with a message that names the key, not the first send.

use gateway_sdk::{AdapterError, Secret};
use serde::Deserialize;

/// The public Twilio REST API; overridden in tests to point at the fake server.
pub const DEFAULT_BASE_URL: &str = "https://api.twilio.com";

/// Settings of a Twilio instance.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwilioSettings {
    /// Account SID (`AC…`, 34 characters). Goes into the request path, and is the
    /// Basic-auth user name unless an API key is configured.
    pub account_sid: String,
    /// The account's auth token. Twilio signs status callbacks with it
    /// (`X-Twilio-Signature`), so it is required even when sending with an API key.
    /// Accepts `{ env = "VAR" }`.
    pub auth_token: Secret,
    /// API key SID (`SK…`). When set, requests authenticate as this key with
    /// `api_key_secret` instead of as the account; lets operators revoke the gateway's
    /// access without rotating the auth token.
    #[serde(default)]
    pub api_key_sid: Option<String>,
    /// The API key's secret; required together with `api_key_sid`. Accepts
    /// `{ env = "VAR" }`.
    #[serde(default)]
    pub api_key_secret: Option<Secret>,
    /// Sender: a Twilio number in E.164 or a registered alphanumeric sender id.
    /// Exactly one of `from` and `messaging_service_sid` must be set.
    #[serde(default)]
    pub from: Option<String>,
    /// Messaging Service SID (`MG…`) whose sender pool Twilio picks from.
    /// Exactly one of `from` and `messaging_service_sid` must be set.
    #[serde(default)]
    pub messaging_service_sid: Option<String>,
    /// Base URL of the REST API, without a trailing path. Default
    /// `https://api.twilio.com`; set to a fake server in tests.
    #[serde(default = "default_base_url")]
    pub base_url: String,
    /// Whether to ask Twilio for delivery reports (`StatusCallback`) when the gateway has
    /// a public URL. Default `true`.
    #[serde(default = "default_true")]
    pub status_callbacks: bool,
}

fn default_base_url() -> String {
    DEFAULT_BASE_URL.to_owned()
}

fn default_true() -> bool {
    true
}

/// Which sender field goes into every request that has no operator-rule sender id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sender {
    /// `From`: a number or alphanumeric sender id.
    From(String),
    /// `MessagingServiceSid`.
    MessagingService(String),
}

impl TwilioSettings {
    /// Parses and checks the `settings` JSON; the error names the offending key.
    pub fn from_json(settings: serde_json::Value) -> Result<Self, AdapterError> {
        let s: Self = serde_json::from_value(settings)
            .map_err(|e| AdapterError::config(format!("twilio settings: {e}")))?;
        s.validate()?;
        Ok(s)
    }

    /// Checks the relations between keys that serde cannot express.
    pub fn validate(&self) -> Result<(), AdapterError> {
        check_sid("account_sid", &self.account_sid, "AC")?;
        if self.auth_token.expose().is_empty() {
            return Err(AdapterError::config(
                "twilio settings: `auth_token` is empty",
            ));
        }
        match (&self.api_key_sid, &self.api_key_secret) {
            (Some(sid), Some(secret)) => {
                check_sid("api_key_sid", sid, "SK")?;
                if secret.expose().is_empty() {
                    return Err(AdapterError::config(
                        "twilio settings: `api_key_secret` is empty",
                    ));
                }
            }
            (None, None) => {}
            _ => {
                return Err(AdapterError::config(
                    "twilio settings: set both `api_key_sid` and `api_key_secret`, or neither",
                ));
            }
        }
        match (&self.from, &self.messaging_service_sid) {
            (Some(from), None) if !from.trim().is_empty() => {}
            (None, Some(mg)) => check_sid("messaging_service_sid", mg, "MG")?,
            _ => {
                return Err(AdapterError::config(
                    "twilio settings: set exactly one of `from` and `messaging_service_sid`",
                ));
            }
        }
        if !(self.base_url.starts_with("https://") || self.base_url.starts_with("http://")) {
            return Err(AdapterError::config(
                "twilio settings: `base_url` must start with https:// or http://",
            ));
        }
        Ok(())
    }

    /// The default sender of this instance (validated: exactly one is set).
    pub fn sender(&self) -> Sender {
        match (&self.from, &self.messaging_service_sid) {
            (_, Some(mg)) => Sender::MessagingService(mg.clone()),
            (Some(from), None) => Sender::From(from.clone()),
            (None, None) => Sender::From(String::new()),
        }
    }

    /// Basic-auth user name and password: the API key pair if set, else the account.
    pub fn credentials(&self) -> (&str, &Secret) {
        match (&self.api_key_sid, &self.api_key_secret) {
            (Some(sid), Some(secret)) => (sid, secret),
            _ => (&self.account_sid, &self.auth_token),
        }
    }
}

/// Twilio SIDs are a two-letter prefix and 32 hex digits.
fn check_sid(key: &str, value: &str, prefix: &str) -> Result<(), AdapterError> {
    let ok = value.len() == 34
        && value.starts_with(prefix)
        && value[2..].bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(())
    } else {
        Err(AdapterError::config(format!(
            "twilio settings: `{key}` must be `{prefix}` followed by 32 hex digits"
        )))
    }
}
