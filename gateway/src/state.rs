//! What every handler shares: configuration, store, clock, keys, renderer, adapters,
//! metrics. Built once at start-up (or by tests, with a manual clock and in-process
//! adapters) and handed to actix as `web::Data`.

use crate::adapters::Adapters;
use crate::adapters::board::ChannelBoard;
use crate::auth::ApiKeys;
use crate::clock::Clock;
use crate::clock::due::DueQueue;
use crate::config::Config;
use crate::connections::Connections;
use crate::error::ApiError;
use crate::limits::{LimitRejection, Limits};
use crate::locations::LocationCache;
use crate::metrics::Metrics;
use crate::render::Renderer;
use crate::secret::ServerSecret;
use crate::store::{Millis, Store, millis};
use std::sync::Arc;
use std::time::Duration;

/// Shared application state.
#[derive(Clone)]
pub struct AppState {
    /// The loaded configuration.
    pub config: Arc<Config>,
    /// Where state lives.
    pub store: Arc<dyn Store>,
    /// Time source for every TTL, window and timestamp.
    pub clock: Arc<dyn Clock>,
    /// Accepted API keys.
    pub api_keys: ApiKeys,
    /// Templates and operator rules.
    pub renderer: Arc<Renderer>,
    /// Loaded adapter instances.
    pub adapters: Adapters,
    /// Prometheus metrics.
    pub metrics: Metrics,
    /// Rate limits, fraud guards and throughput shaping.
    pub limits: Arc<Limits>,
    /// Key material for codes, tokens and fingerprints.
    pub secret: ServerSecret,
    /// Location settings read recently, for the send path.
    pub locations: Arc<LocationCache>,
    /// Provider connections made through the API, and their live instances.
    pub connections: Arc<Connections>,
    /// Each channel's last send outcome on this instance (for readiness).
    pub channel_board: Arc<ChannelBoard>,
    /// Verifications this instance started, by expiry: revisited when they expire so
    /// that an expiry nobody asks about again is still counted.
    pub expiring_verifications: Arc<DueQueue>,
    /// Messages this instance sent with a late-fallback state, by its `fallback_after`
    /// moment and its end: revisited then (`flows::fallback::due`).
    pub late_fallbacks: Arc<DueQueue>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Now, in store milliseconds.
    pub fn now_ms(&self) -> Millis {
        millis(self.clock.now())
    }

    /// Records one served HTTP request.
    pub fn observe_http(&self, route: Option<&str>, method: &str, status: u16, elapsed: Duration) {
        self.metrics
            .observe_http_request(route, method, status, elapsed);
    }

    /// The location `id` (from the cache when fresh), or `404 location_not_found`.
    pub async fn location(&self, id: &str) -> Result<crate::locations::Location, ApiError> {
        crate::locations::load(&self.locations, self.store.as_ref(), self.now_ms(), id).await
    }

    /// Counts a limit refusal and turns it into the API error.
    pub fn reject(&self, rejection: LimitRejection) -> ApiError {
        if let Some(kind) = rejection.kind {
            self.metrics.record_rate_limited(kind);
        }
        rejection.into()
    }
}
