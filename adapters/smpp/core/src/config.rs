//! Settings of one SMPP adapter instance: the `settings` table of an `[[adapters]]`
//! block, checked once at creation so a bad value fails start-up naming the key.

use gateway_sdk::{AdapterError, Secret};
use serde::Deserialize;
use std::time::Duration;

/// Settings of an SMPP instance (one ESME account on one SMSC).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmppSettings {
    /// SMSC host name or IP address.
    pub host: String,
    /// SMSC port (commonly 2775).
    #[serde(default = "default_port")]
    pub port: u16,
    /// `system_id` of the ESME account (at most 15 characters).
    pub system_id: String,
    /// The account's password (at most 8 characters in SMPP 3.4). Accepts
    /// `{ env = "VAR" }`.
    pub password: Secret,
    /// `system_type` the SMSC expects, often empty (at most 12 characters).
    #[serde(default)]
    pub system_type: String,
    /// Sender used when the operator rule names none: a number or an alphanumeric id.
    pub source_addr: String,
    /// `source_addr_ton`; default: 5 (alphanumeric) for a sender with letters, else 1
    /// (international).
    #[serde(default)]
    pub source_ton: Option<u8>,
    /// `source_addr_npi`; default: 0 (unknown) for an alphanumeric sender, else 1 (ISDN).
    #[serde(default)]
    pub source_npi: Option<u8>,
    /// `dest_addr_ton`; default 1 (international: the number without `+`).
    #[serde(default = "one")]
    pub dest_ton: u8,
    /// `dest_addr_npi`; default 1 (ISDN / E.164).
    #[serde(default = "one")]
    pub dest_npi: u8,
    /// GSM-7 text as packed septets (7 bits per character) instead of one character per
    /// octet. Default `false`: most SMSCs take unpacked GSM-7 on SMPP; set it only when
    /// the aggregator says so.
    #[serde(default)]
    pub gsm7_packed: bool,
    /// Ask for delivery receipts (`registered_delivery` = 1). Default `true`.
    #[serde(default = "yes")]
    pub delivery_receipts: bool,
    /// Set `validity_period` to the code's lifetime, so the SMSC drops a code that could
    /// no longer be used. Default `true`.
    #[serde(default = "yes")]
    pub validity_from_ttl: bool,
    /// `submit_sm` awaiting their response at once (the SMSC's window). Default 10.
    #[serde(default = "default_window")]
    pub window: usize,
    /// Idle time before an `enquire_link` keep-alive. Default `30s`.
    #[serde(default = "default_enquire_link", with = "humantime_serde")]
    pub enquire_link: Duration,
    /// How long the SMSC has to answer any request (bind, submit, enquire_link) before
    /// the connection is considered dead and re-established. Default `10s`.
    #[serde(default = "default_response_timeout", with = "humantime_serde")]
    pub response_timeout: Duration,
    /// First wait before reconnecting; doubled after each failure up to
    /// `reconnect_max`. Default `1s`.
    #[serde(default = "default_reconnect_min", with = "humantime_serde")]
    pub reconnect_min: Duration,
    /// Longest wait between reconnects (also after a refused bind). Default `60s`.
    #[serde(default = "default_reconnect_max", with = "humantime_serde")]
    pub reconnect_max: Duration,
    /// Suggested pause after ESME_RTHROTTLED / ESME_RMSGQFUL, given to the gateway as
    /// `retry_after_ms`. Default `1s`.
    #[serde(default = "default_throttle_pause", with = "humantime_serde")]
    pub throttle_pause: Duration,
}

fn default_port() -> u16 {
    2775
}
fn one() -> u8 {
    1
}
fn yes() -> bool {
    true
}
fn default_window() -> usize {
    10
}
fn default_enquire_link() -> Duration {
    Duration::from_secs(30)
}
fn default_response_timeout() -> Duration {
    Duration::from_secs(10)
}
fn default_reconnect_min() -> Duration {
    Duration::from_secs(1)
}
fn default_reconnect_max() -> Duration {
    Duration::from_secs(60)
}
fn default_throttle_pause() -> Duration {
    Duration::from_secs(1)
}

/// Longest values SMPP 3.4 allows (C-octet strings, without the NUL).
const LIMITS: [(&str, usize); 4] = [
    ("system_id", 15),
    ("password", 8),
    ("system_type", 12),
    ("source_addr", 20),
];

impl SmppSettings {
    /// Parses and checks the `settings` JSON; the error names the offending key.
    pub fn from_json(settings: serde_json::Value) -> Result<Self, AdapterError> {
        let s: Self = serde_json::from_value(settings)
            .map_err(|e| AdapterError::config(format!("smpp settings: {e}")))?;
        s.validate()?;
        Ok(s)
    }

    /// Checks what serde cannot express.
    pub fn validate(&self) -> Result<(), AdapterError> {
        let bad = |m: String| Err(AdapterError::config(format!("smpp settings: {m}")));
        if self.host.trim().is_empty() {
            return bad("`host` is empty".into());
        }
        if self.system_id.is_empty() {
            return bad("`system_id` is empty".into());
        }
        let values = [
            &self.system_id,
            self.password.expose(),
            &self.system_type,
            &self.source_addr,
        ];
        for ((key, max), value) in LIMITS.iter().zip(values) {
            if value.len() > *max || !value.is_ascii() {
                return bad(format!("`{key}` must be ASCII of at most {max} characters"));
            }
        }
        if self.source_addr.is_empty() {
            return bad("`source_addr` is empty".into());
        }
        if self.window == 0 || self.window > 1000 {
            return bad("`window` must be between 1 and 1000".into());
        }
        let durations = [
            ("enquire_link", self.enquire_link),
            ("response_timeout", self.response_timeout),
            ("reconnect_min", self.reconnect_min),
            ("reconnect_max", self.reconnect_max),
        ];
        if let Some((key, _)) = durations.iter().find(|(_, d)| d.is_zero()) {
            return bad(format!("`{key}` must be longer than 0"));
        }
        if self.reconnect_max < self.reconnect_min {
            return bad("`reconnect_max` must be at least `reconnect_min`".into());
        }
        Ok(())
    }

    /// `host:port`.
    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}
