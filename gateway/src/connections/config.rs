//! `[connections]`: provider connections created through the API at run time.

use serde::Deserialize;
use std::time::Duration;

/// `[connections]`: which adapter kinds connections may use and how live instances are
/// kept.
///
/// ```toml
/// [connections]
/// libraries = ["adapter_twilio", "adapter_telegram"]
/// max_live = 1000
/// idle_timeout = "10m"
/// recheck = "500ms"
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConnectionsConfig {
    /// Adapter libraries opened for connections, in addition to those `[[adapters]]`
    /// uses (same forms as `[[adapters]] library`). A connection's `kind` is any kind
    /// these libraries export.
    pub libraries: Vec<String>,
    /// Live adapter instances kept at most; the least recently used go first and are
    /// created again on their next send.
    pub max_live: usize,
    /// A live instance unused this long is dropped (checked every `store.prune_interval`).
    #[serde(with = "humantime_serde")]
    pub idle_timeout: Duration,
    /// How long a live instance is used before its connection's version is read from the
    /// store again: bounds how long a change made on another gateway instance sharing the
    /// store goes unseen. This instance's own changes apply at once.
    #[serde(with = "humantime_serde")]
    pub recheck: Duration,
    /// Deadline of every call into a connection's instance (a send uses the shorter of
    /// this and the request's own deadline).
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
}

impl Default for ConnectionsConfig {
    fn default() -> Self {
        Self {
            libraries: Vec::new(),
            max_live: 1000,
            idle_timeout: Duration::from_secs(600),
            recheck: Duration::from_millis(500),
            timeout: crate::adapters::DEFAULT_TIMEOUT,
        }
    }
}

impl ConnectionsConfig {
    /// Checks ranges serde cannot; the message names the key.
    pub fn validate(&self) -> Result<(), (&'static str, &'static str)> {
        if self.max_live == 0 {
            return Err(("connections.max_live", "must be at least 1"));
        }
        if self.timeout.is_zero() {
            return Err(("connections.timeout", "must be greater than zero"));
        }
        if self.recheck > Duration::from_secs(1) {
            return Err((
                "connections.recheck",
                "must be at most 1s, so every instance sees a change within a second",
            ));
        }
        Ok(())
    }
}
