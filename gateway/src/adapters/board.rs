//! The last outcome of each channel (adapter instance or connection) on this gateway
//! instance, for `GET /v1/locations/{id}/readiness`; the send path notes each attempt.

use quick_cache::sync::Cache;
use serde::Serialize;

/// The last send attempt on a channel, as this gateway instance saw it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LastOutcome {
    /// `sent`, or the error kind (`auth`, `transient`, …).
    pub outcome: String,
    /// The error, numbers masked; absent on success.
    pub error: Option<String>,
    /// When (RFC 3339).
    pub at: String,
}

/// Last outcomes by channel name, bounded (least recently used go first).
pub struct ChannelBoard {
    entries: Cache<String, LastOutcome>,
}

impl std::fmt::Debug for ChannelBoard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelBoard")
            .field("entries", &self.entries.len())
            .finish()
    }
}

impl Default for ChannelBoard {
    fn default() -> Self {
        Self {
            entries: Cache::new(10_000),
        }
    }
}

impl ChannelBoard {
    /// Notes an attempt on `name`.
    pub fn note(&self, name: &str, outcome: &str, error: Option<String>, at: String) {
        let last = LastOutcome {
            outcome: outcome.to_owned(),
            error,
            at,
        };
        self.entries.insert(name.to_owned(), last);
    }

    /// The last attempt on `name`, if any since start-up.
    pub fn last(&self, name: &str) -> Option<LastOutcome> {
        self.entries.get(name)
    }
}
