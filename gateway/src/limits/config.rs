//! `[limits]` in the gateway configuration: every quota, the geo and toll-fraud rules,
//! the QA allow-list and the throughput buckets, with the defaults `API.md` promises, and
//! the checks serde cannot make. `docs/limits.md` explains each key to operators.

use serde::Deserialize;
use std::collections::HashSet;
use std::str::FromStr;
use std::time::Duration;

/// `[limits]`: quotas per phone, client IP, location and risky prefix, country rules,
/// QA test numbers and provider throughput.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Least time between two sends to the same phone (`resend_cooldown`, 429).
    #[serde(with = "humantime_serde")]
    pub resend_cooldown: Duration,
    /// Sends to one phone in any sliding hour (`phone_hourly_limit`, 429).
    pub phone_per_hour: u32,
    /// Sends to one phone in any sliding 24 hours (`phone_daily_limit`, 429).
    pub phone_per_day: u32,
    /// Sends requested for one client IP (IPv6: its /64) in any sliding hour (`ip_limit`).
    pub ip_per_hour: u32,
    /// Sends requested for one IPv6 /48 (a site's allocation, 65,536 /64s that a client
    /// could rotate through to escape `ip_per_hour`) in any sliding hour (`ip_limit`).
    pub ipv6_48_per_hour: u32,
    /// Sends for one location in any sliding minute (`location_limit`, 429).
    pub location_per_minute: u32,
    /// Toll-fraud / SMS-pumping guard: sends per hour to all numbers starting with a
    /// prefix, summed over those numbers (`prefix_limit`, 429). The longest matching
    /// prefix applies; numbers matching none are not limited by this rule.
    pub prefixes: Vec<PrefixLimit>,
    /// ISO 3166 alpha-2 regions the gateway sends to; empty means every region
    /// (`country_blocked`, 403). With a non-empty list, numbers whose region is unknown
    /// are refused too.
    pub allowed_countries: Vec<String>,
    /// ISO 3166 alpha-2 regions the gateway never sends to (`country_blocked`, 403).
    pub denied_countries: Vec<String>,
    /// E.164 numbers (QA phones) that bypass every quota above; geo rules still apply.
    pub test_numbers: Vec<String>,
    /// How long a send waits for a throughput permit before that channel counts as
    /// throttled; `0s` never waits.
    #[serde(with = "humantime_serde")]
    pub throughput_wait: Duration,
    /// Messages per second toward each mobile operator, across all adapters.
    pub operators: Vec<OperatorThroughput>,
    /// Where throughput buckets (adapters' `throughput`, `operators`) live: `instance`
    /// (each process shapes alone: N instances may send N x the rate) or `cluster` (one
    /// budget kept in the shared store for all instances; needs `store.backend = "redis"`).
    pub throughput_scope: ThroughputScope,
}

/// Where throughput buckets live (`limits.throughput_scope`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThroughputScope {
    /// In this process (`governor`); each instance gets the whole rate.
    #[default]
    Instance,
    /// In the shared store (a GCRA bucket in Redis); the rate holds across instances.
    Cluster,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            resend_cooldown: Duration::from_secs(60),
            phone_per_hour: 5,
            phone_per_day: 10,
            ip_per_hour: 20,
            ipv6_48_per_hour: 100,
            location_per_minute: 60,
            prefixes: Vec::new(),
            allowed_countries: Vec::new(),
            denied_countries: Vec::new(),
            test_numbers: Vec::new(),
            throughput_wait: Duration::from_millis(250),
            operators: Vec::new(),
            throughput_scope: ThroughputScope::Instance,
        }
    }
}

/// One risky destination prefix and its hourly budget.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrefixLimit {
    /// E.164 prefix: `+` and 1 to 14 digits (`+882`, `+7940`).
    pub prefix: String,
    /// Sends per sliding hour to all numbers under this prefix together.
    pub per_hour: u32,
}

/// A token bucket toward one mobile operator.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorThroughput {
    /// The operator id the renderer assigns (`ru-megafon`).
    pub id: String,
    /// Sustained messages per second.
    pub per_second: u32,
    /// Messages that may go at once after a quiet period (bucket size).
    pub burst: u32,
}

/// A `[limits]` value (or an adapter's throughput) that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitsConfigError {
    /// Fix the named key as the message says, then restart.
    #[error("invalid value for `{key}`: {message}")]
    Invalid {
        /// Dotted key path (`limits.prefixes[0].prefix`).
        key: String,
        /// What is allowed.
        message: String,
    },
}

fn invalid(key: impl Into<String>, message: impl Into<String>) -> LimitsConfigError {
    LimitsConfigError::Invalid {
        key: key.into(),
        message: message.into(),
    }
}

/// True for `+`, a non-zero digit, then up to `max_digits - 1` more digits.
fn is_e164_like(s: &str, min_digits: usize, max_digits: usize) -> bool {
    let Some(digits) = s.strip_prefix('+') else {
        return false;
    };
    (min_digits..=max_digits).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// Checks a region list and returns it upper-cased.
fn regions(key: &str, list: &[String]) -> Result<Vec<String>, LimitsConfigError> {
    let mut out = Vec::with_capacity(list.len());
    for (i, raw) in list.iter().enumerate() {
        let code = raw.trim().to_ascii_uppercase();
        // phonenumber's CLDR region ids are the regions a phone number can belong to.
        if code.len() != 2 || phonenumber::country::Id::from_str(&code).is_err() {
            return Err(invalid(
                format!("limits.{key}[{i}]"),
                format!("`{raw}` is not an ISO 3166 alpha-2 region code such as `RU` or `DE`"),
            ));
        }
        out.push(code);
    }
    Ok(out)
}

/// Checks a throughput bucket.
pub(crate) fn check_rate(key: &str, per_second: u32, burst: u32) -> Result<(), LimitsConfigError> {
    if per_second == 0 {
        return Err(invalid(format!("{key}.per_second"), "must be at least 1"));
    }
    if burst == 0 {
        return Err(invalid(format!("{key}.burst"), "must be at least 1"));
    }
    Ok(())
}

impl LimitsConfig {
    /// Checks every value; on success returns a copy with region codes upper-cased.
    pub fn validate(&self) -> Result<LimitsConfig, LimitsConfigError> {
        if self.resend_cooldown.as_millis() == 0 {
            return Err(invalid(
                "limits.resend_cooldown",
                "must be at least 1ms (e.g. `60s`)",
            ));
        }
        for (key, value) in [
            ("phone_per_hour", self.phone_per_hour),
            ("phone_per_day", self.phone_per_day),
            ("ip_per_hour", self.ip_per_hour),
            ("ipv6_48_per_hour", self.ipv6_48_per_hour),
            ("location_per_minute", self.location_per_minute),
        ] {
            if value == 0 {
                return Err(invalid(
                    format!("limits.{key}"),
                    "must be at least 1 (a zero would refuse every send)",
                ));
            }
        }
        let mut seen = HashSet::new();
        for (i, p) in self.prefixes.iter().enumerate() {
            if !is_e164_like(&p.prefix, 1, 14) {
                return Err(invalid(
                    format!("limits.prefixes[{i}].prefix"),
                    format!(
                        "`{}` must be `+` and 1 to 14 digits, not starting with 0 (e.g. `+882`)",
                        p.prefix
                    ),
                ));
            }
            if !seen.insert(p.prefix.as_str()) {
                return Err(invalid(
                    format!("limits.prefixes[{i}].prefix"),
                    format!("`{}` is listed twice", p.prefix),
                ));
            }
            if p.per_hour == 0 {
                return Err(invalid(
                    format!("limits.prefixes[{i}].per_hour"),
                    "must be at least 1; to stop a region entirely use `denied_countries`",
                ));
            }
        }
        let allowed = regions("allowed_countries", &self.allowed_countries)?;
        let denied = regions("denied_countries", &self.denied_countries)?;
        if let Some(i) = denied.iter().position(|d| allowed.contains(d)) {
            return Err(invalid(
                format!("limits.denied_countries[{i}]"),
                format!(
                    "`{}` is also in `allowed_countries`; keep it in one list",
                    denied[i]
                ),
            ));
        }
        for (i, n) in self.test_numbers.iter().enumerate() {
            if !is_e164_like(n, 7, 15) {
                return Err(invalid(
                    format!("limits.test_numbers[{i}]"),
                    "must be an E.164 number: `+` and 7 to 15 digits",
                ));
            }
        }
        let mut ids = HashSet::new();
        for (i, op) in self.operators.iter().enumerate() {
            let key = format!("limits.operators[{i}]");
            if op.id.trim().is_empty() {
                return Err(invalid(format!("{key}.id"), "must not be empty"));
            }
            if !ids.insert(op.id.as_str()) {
                return Err(invalid(
                    format!("{key}.id"),
                    format!("`{}` is listed twice", op.id),
                ));
            }
            check_rate(&key, op.per_second, op.burst)?;
        }
        Ok(LimitsConfig {
            allowed_countries: allowed,
            denied_countries: denied,
            ..self.clone()
        })
    }
}
