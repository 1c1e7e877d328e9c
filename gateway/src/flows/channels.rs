//! What a name in a location's `channels` (or a callback path) stands for: a configured
//! `[[adapters]]` instance, or a connection made through the API (`conn_…`), whose live
//! instance is built on first use. Also the last outcome of each channel on this gateway
//! instance, for `GET /v1/locations/{id}/readiness`.

use crate::adapters::AdapterInstance;
use crate::connections::ConnectionError;
use crate::state::AppState;
use quick_cache::sync::Cache;
use serde::Serialize;
use std::sync::Arc;

/// Prefix of connection ids (configured instance names may not use it).
pub const CONNECTION_PREFIX: &str = "conn_";

/// Whether `name` refers to a connection rather than a configured instance.
pub fn is_connection(name: &str) -> bool {
    name.starts_with(CONNECTION_PREFIX)
}

/// The instance `name` stands for now; `Ok(None)` if nothing has that name.
pub async fn resolve(
    state: &AppState,
    name: &str,
) -> Result<Option<Arc<dyn AdapterInstance>>, ConnectionError> {
    if let Some(configured) = state.adapters.get(name) {
        return Ok(Some(configured.clone()));
    }
    if !is_connection(name) {
        return Ok(None);
    }
    state.connections.instance(name, state.now_ms()).await
}

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
