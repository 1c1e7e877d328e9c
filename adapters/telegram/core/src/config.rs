//! Settings of one Telegram Gateway instance: the `settings` table of an `[[adapters]]`
//! block in the gateway config, validated once when the instance is created.

use gateway_sdk::{AdapterError, Secret};
use serde::Deserialize;

/// Where the real Gateway API lives.
pub const DEFAULT_BASE_URL: &str = "https://gatewayapi.telegram.org";

/// Settings of a Telegram Gateway instance.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelegramSettings {
    /// The API token from the Telegram Gateway account settings ("Copy Token"). Sent as
    /// `Authorization: Bearer …`, and its SHA-256 is the key that signs delivery reports.
    /// Write it as `{ env = "TELEGRAM_GATEWAY_TOKEN" }` to keep it out of the file.
    pub token: Secret,
    /// Base URL of the Gateway API; change it only to point tests at a fake server.
    #[serde(default = "default_base_url")]
    pub base_url: String,
    /// Username of a verified Telegram channel owned by the same account, to send the
    /// code from instead of the default "Verification Codes" chat.
    #[serde(default)]
    pub sender_username: Option<String>,
    /// Oldest delivery report accepted, in seconds, comparing its `X-Request-Timestamp`
    /// with when the gateway received it; older (or as far in the future) is refused
    /// as a possible replay.
    #[serde(default = "default_report_max_age_secs")]
    pub report_max_age_secs: u64,
    /// Timeout, in milliseconds, of calls that carry no deadline of their own
    /// (`checkSendAbility` during the reachability pre-check).
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

fn default_base_url() -> String {
    DEFAULT_BASE_URL.to_owned()
}

fn default_report_max_age_secs() -> u64 {
    300
}

fn default_timeout_ms() -> u64 {
    5_000
}

impl TelegramSettings {
    /// Parses and validates the instance's `settings` JSON; the error names the setting.
    pub fn from_json(settings: serde_json::Value) -> Result<Self, AdapterError> {
        let parsed: Self = serde_json::from_value(settings)
            .map_err(|e| AdapterError::config(format!("telegram settings: {e}")))?;
        parsed.validate()?;
        Ok(parsed)
    }

    fn validate(&self) -> Result<(), AdapterError> {
        if self.token.expose().trim().is_empty() {
            return Err(AdapterError::config("telegram settings: `token` is empty"));
        }
        let url = gateway_sdk::http::reqwest::Url::parse(&self.base_url).map_err(|e| {
            AdapterError::config(format!("telegram settings: `base_url` is not a URL: {e}"))
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(AdapterError::config(
                "telegram settings: `base_url` must be an http(s) URL",
            ));
        }
        if let Some(name) = &self.sender_username {
            // Telegram usernames: 5–32 characters of a–z, 0–9 and underscore.
            let ok = (5..=32).contains(&name.len())
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if !ok {
                return Err(AdapterError::config(
                    "telegram settings: `sender_username` must be a channel username \
                     (5-32 letters, digits or underscores, without `@`)",
                ));
            }
        }
        if self.report_max_age_secs == 0 {
            return Err(AdapterError::config(
                "telegram settings: `report_max_age_secs` must be at least 1",
            ));
        }
        if self.timeout_ms == 0 {
            return Err(AdapterError::config(
                "telegram settings: `timeout_ms` must be at least 1",
            ));
        }
        Ok(())
    }

    /// The URL of one Gateway API method.
    pub fn method_url(&self, method: &str) -> String {
        format!("{}/{method}", self.base_url.trim_end_matches('/'))
    }
}
