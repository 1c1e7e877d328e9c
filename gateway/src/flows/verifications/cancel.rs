//! Cancelling a pending verification (`DELETE /v1/verifications/{id}`).

use super::model::{Status, Verification, count_expired, not_found};
use crate::error::ApiError;
use crate::metrics::VerificationOutcome;
use crate::state::AppState;
use crate::store::{Ns, Write, to_json};

/// Cancels a pending verification and frees its pending slot.
pub async fn cancel(state: &AppState, id: &str) -> Result<(), ApiError> {
    let now = state.now_ms();
    // Reports the verification if this call cancelled it, and its purpose if this call
    // found it pending past its expiry and stored it as expired.
    let decide = |cur: Option<&str>| match Verification::parse(cur) {
        Some(mut v) if v.is_live(now) => {
            v.status = Status::Cancelled;
            (Write::Put(to_json(&v), v.keep_until()), (Some(v), None))
        }
        Some(mut v) if v.is_due_to_expire(now) => {
            v.status = Status::Expired;
            let purpose = v.purpose;
            (
                Write::Put(to_json(&v), v.keep_until()),
                (None, Some(purpose)),
            )
        }
        _ => (Write::Keep, (None, None)),
    };
    let (found, expired) = state
        .store
        .update(Ns::Verification, id, now, decide)
        .await?;
    if let Some(purpose) = expired {
        count_expired(state, purpose);
    }
    let v = found.ok_or_else(|| {
        not_found("No pending verification has this id; there is nothing to cancel.")
    })?;
    if let Some(pkey) = v.pending_key(&state.secret) {
        state
            .store
            .delete(Ns::PendingVerification, &pkey, now)
            .await?;
    }
    state
        .metrics
        .record_verification(v.purpose.into(), VerificationOutcome::Cancelled);
    Ok(())
}
