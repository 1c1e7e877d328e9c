//! The background ticks of a serving instance: pruning expired records, counting
//! verifications that expired, dropping idle connection instances, the late-fallback
//! watch, and, on a shared store for an hour after start, moving rows that instances
//! of an earlier version keep writing under clear keys.

use crate::state::AppState;
use crate::store::{StoreBackend, millis};
use std::time::Duration;

/// The background ticks, in one task: pruning, and the late-fallback watch
/// (`flows::fallback::tick`, every second).
pub(super) async fn prune_loop(state: AppState) {
    tokio::join!(
        prune_ticks(state.clone()),
        crate::flows::fallback::tick(state)
    );
}

/// How long after start each prune tick on a shared store also moves clear-keyed quota
/// counters and pending slots: instances of an earlier version still running during a
/// rolling upgrade keep writing them (see docs/limits.md).
const LEGACY_KEY_WATCH: Duration = Duration::from_secs(3600);

/// Removes expired records every `store.prune_interval` (and counts the verifications
/// that expired meanwhile); for [`LEGACY_KEY_WATCH`], moves clear-keyed rows too.
async fn prune_ticks(state: AppState) {
    let mut tick = tokio::time::interval(state.config.store.prune_interval);
    let started = tokio::time::Instant::now();
    // Only a shared store sees instances of two versions at once.
    let shared = state.config.store.backend == StoreBackend::Redis;
    loop {
        tick.tick().await;
        if shared
            && started.elapsed() < LEGACY_KEY_WATCH
            && let Err(e) =
                crate::secret::hash_legacy_keys(state.store.as_ref(), state.secret.store_keys())
                    .await
        {
            tracing::warn!(error = %e, "moving clear-keyed quota counters failed; retried next tick");
        }
        match state.store.prune(millis(state.clock.now())).await {
            Ok(n) if n > 0 => tracing::debug!(rows = n, "pruned expired records"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "pruning failed"),
        }
        crate::flows::verifications::count_due_expiries(&state).await;
        let idle = state.connections.sweep(state.clock.now());
        if idle > 0 {
            tracing::debug!(instances = idle, "dropped idle connection instances");
        }
    }
}
