//! Settings of one HTTP adapter instance: the `settings` table of an `[[adapters]]`
//! block (or a connection's settings), checked once at creation so a bad value fails
//! start-up naming the key, not the first send.

use gateway_sdk::http::reqwest::Url;
use gateway_sdk::signing::SigningKey;
use gateway_sdk::{AdapterError, Channel, Secret};
use serde::Deserialize;
use std::time::Duration;

/// The narrowest and widest callback windows allowed.
const TOLERANCE_RANGE: (Duration, Duration) = (Duration::from_secs(1), Duration::from_secs(3600));

/// Settings of an HTTP instance (one integrator's service).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    /// Where each message is POSTed (`https://sms.example.com/send`); a query string is
    /// kept as given.
    pub url: String,
    /// The shared Standard Webhooks secret, `whsec_` + base64 of at least 24 random bytes:
    /// signs every request and verifies every delivery report. Accepts `{ env = "VAR" }`.
    pub signing_secret: Secret,
    /// The channel this service delivers on (`sms`, `telegram`, `whatsapp`); locations
    /// name the instance, this says what it is. Default `sms`.
    #[serde(default = "default_channel")]
    pub channel: Channel,
    /// Whether the service posts delivery reports: when `true` (the default) and the
    /// gateway has a public URL, each request carries `callback_url`.
    #[serde(default = "yes")]
    pub delivery_reports: bool,
    /// How far a report's `webhook-timestamp` may be from the time it arrives, either way;
    /// older reports are refused as possible replays. Default `5m`, between `1s` and `1h`.
    #[serde(default = "default_tolerance", with = "humantime_serde")]
    pub callback_tolerance: Duration,
}

fn default_channel() -> Channel {
    Channel::Sms
}

fn yes() -> bool {
    true
}

fn default_tolerance() -> Duration {
    Duration::from_secs(300)
}

impl HttpSettings {
    /// Parses and checks the `settings` JSON; the error names the offending key.
    pub fn from_json(settings: serde_json::Value) -> Result<Self, AdapterError> {
        let s: Self = serde_json::from_value(settings)
            .map_err(|e| AdapterError::config(format!("http settings: {e}")))?;
        s.validate()?;
        Ok(s)
    }

    /// Checks what serde cannot: the URL, the secret and the window.
    pub fn validate(&self) -> Result<(), AdapterError> {
        let url = Url::parse(&self.url)
            .map_err(|e| AdapterError::config(format!("http settings: `url` is not a URL: {e}")))?;
        if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
            return Err(AdapterError::config(
                "http settings: `url` must be an https:// (or http://) URL with a host",
            ));
        }
        self.signing_key()?;
        let (min, max) = TOLERANCE_RANGE;
        if self.callback_tolerance < min || self.callback_tolerance > max {
            return Err(AdapterError::config(
                "http settings: `callback_tolerance` must be between 1s and 1h",
            ));
        }
        Ok(())
    }

    /// The key `signing_secret` holds.
    pub fn signing_key(&self) -> Result<SigningKey, AdapterError> {
        SigningKey::from_secret(self.signing_secret.expose())
            .map_err(|e| AdapterError::config(format!("http settings: `signing_secret`: {e}")))
    }
}
