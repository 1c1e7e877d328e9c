//! The mock's `[adapters.settings]`: which channel it pretends to be and which faults
//! it injects. Numbers are E.164 strings matched exactly.

use gateway_sdk::{Channel, Secret};
use serde::{Deserialize, Deserializer};
use std::path::PathBuf;
use std::time::Duration;

/// Settings of one mock instance.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MockSettings {
    /// Channel the instance reports (`sms`, `telegram` or `whatsapp`); default `sms`.
    #[serde(default = "default_channel")]
    pub channel: Channel,
    /// Outbox file; default `<data_dir>/mock-outbox.jsonl`.
    #[serde(default)]
    pub outbox: Option<PathBuf>,
    /// Whether the instance offers reachability pre-checks.
    #[serde(default)]
    pub reachability_check: bool,
    /// Whether the instance claims delivery reports (callbacks).
    #[serde(default)]
    pub delivery_reports: bool,
    /// Delay before every answer: milliseconds (`250`) or humantime (`"250ms"`).
    #[serde(default, deserialize_with = "latency")]
    pub latency: Duration,
    /// Share of sends (0..=1) that fail with a transient error, at random.
    #[serde(default)]
    pub failure_rate: f64,
    /// Numbers the provider rejects for good (`Rejected`).
    #[serde(default)]
    pub reject_numbers: Vec<String>,
    /// Numbers this channel cannot reach: send is `Unreachable`, check_reachable says no.
    #[serde(default)]
    pub unreachable_numbers: Vec<String>,
    /// Numbers whose send panics inside the adapter (to test panic isolation).
    #[serde(default)]
    pub panic_numbers: Vec<String>,
    /// Numbers whose send never answers before its deadline.
    #[serde(default)]
    pub stall_numbers: Vec<String>,
    /// Numbers the provider throttles (`Throttled`, retry after 1 s).
    #[serde(default)]
    pub throttle_numbers: Vec<String>,
    /// Numbers for which the provider answers with an undecodable body (`Transient`).
    #[serde(default)]
    pub malformed_numbers: Vec<String>,
    /// Key of the `x-mock-signature` HMAC-SHA256 on callbacks; callbacks are refused as
    /// unsupported without it.
    #[serde(default)]
    pub callback_secret: Option<Secret>,
}

fn default_channel() -> Channel {
    Channel::Sms
}

fn latency<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Repr {
        Millis(u64),
        Text(String),
    }
    match Repr::deserialize(d)? {
        Repr::Millis(ms) => Ok(Duration::from_millis(ms)),
        Repr::Text(s) => humantime::parse_duration(&s).map_err(|e| {
            serde::de::Error::custom(format!("`latency` = {s:?} is not a duration: {e}"))
        }),
    }
}

impl MockSettings {
    /// Parses and checks the settings; the message names the setting.
    pub fn parse(settings: serde_json::Value) -> Result<Self, String> {
        let s: MockSettings =
            serde_json::from_value(settings).map_err(|e| format!("mock settings: {e}"))?;
        if !(0.0..=1.0).contains(&s.failure_rate) {
            return Err(format!(
                "`failure_rate` = {} must be between 0 and 1",
                s.failure_rate
            ));
        }
        Ok(s)
    }
}
