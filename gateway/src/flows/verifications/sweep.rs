//! Counting expiries nobody asks about. A verification found past its TTL by a check,
//! a read, a cancel or a new start is stored as expired and counted there; one that is
//! simply abandoned would never be. So each instance keeps the verifications it started
//! in a bounded in-memory queue by expiry (`AppState::expiring_verifications`) and, on
//! the prune tick, revisits those now due: the same atomic transition counts each once,
//! whichever instance or request gets there first. (A restart forgets the queue: those
//! verifications are then counted only if someone asks about them.)

use crate::state::AppState;

/// How many pending verifications an instance watches at most (about 100 bytes each);
/// beyond that, new ones are counted only when someone asks about them.
pub const WATCHED_EXPIRIES: usize = 1_000_000;

/// Verifications revisited per batch.
const BATCH: usize = 500;

/// Stores as expired (and counts) every watched verification whose TTL has passed and
/// that is still pending. A store failure leaves the rest for the next tick.
pub async fn count_due_expiries(state: &AppState) {
    let now = state.now_ms();
    loop {
        let due = state.expiring_verifications.take_due(now, BATCH);
        if due.is_empty() {
            return;
        }
        for (i, id) in due.iter().enumerate() {
            if let Err(e) = super::load(state, id).await {
                tracing::warn!(error = %e, "counting expired verifications failed; retrying on the next tick");
                for rest in &due[i..] {
                    state.expiring_verifications.push(now, rest.clone());
                }
                return;
            }
        }
    }
}
