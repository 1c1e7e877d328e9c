//! Cancelling a pending verification (`DELETE /v1/verifications/{id}`).

use super::model::{Status, Verification, not_found};
use crate::error::ApiError;
use crate::metrics::VerificationOutcome;
use crate::state::AppState;
use crate::store::{Ns, Write, to_json};

/// Cancels a pending verification and frees its pending slot.
pub async fn cancel(state: &AppState, id: &str) -> Result<(), ApiError> {
    let now = state.now_ms();
    let decide = |cur: Option<&str>| match Verification::parse(cur) {
        Some(mut v) if v.is_live(now) => {
            v.status = Status::Cancelled;
            (Write::Put(to_json(&v), v.keep_until()), Some(v))
        }
        _ => (Write::Keep, None),
    };
    let found = state
        .store
        .update(Ns::Verification, id, now, decide)
        .await?;
    let v = found.ok_or_else(|| {
        not_found("No pending verification has this id; there is nothing to cancel.")
    })?;
    state
        .store
        .delete(Ns::PendingVerification, &v.pending_key(), now)
        .await?;
    state
        .metrics
        .record_verification(v.purpose.into(), VerificationOutcome::Cancelled);
    Ok(())
}
