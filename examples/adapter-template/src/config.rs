//! The adapter's settings: the `[adapters.settings]` table of its gateway instance.

use gateway_sdk::Secret;
use serde::Deserialize;

/// Settings of one instance. Unknown keys are refused so typos fail at start-up.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Base URL of the provider API, e.g. `https://api.example-sms.test`.
    pub base_url: String,
    /// API key sent as `Authorization: Bearer …` (a string or `{ env = "VAR" }`).
    pub api_key: Secret,
    /// Key of the provider's HMAC-SHA256 callback signature; without it callbacks are
    /// refused.
    #[serde(default)]
    pub webhook_secret: Option<Secret>,
    /// Sender name to use when the gateway does not pick one.
    #[serde(default)]
    pub sender: Option<String>,
}
