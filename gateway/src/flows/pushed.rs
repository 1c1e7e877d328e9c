//! Status updates an adapter pushes itself (an SMPP session's `deliver_sm` receipts),
//! rather than a provider posting them to `/v1/callbacks/{instance}`.
//!
//! Each instance whose library supports the push extension gets a sink at load time
//! ([`ReportQueue::sink_for`], in `adapters::reports`) that queues its updates on a bounded channel without
//! waiting; [`apply_pushed`] applies them with the same code as callbacks
//! ([`super::reports::apply_updates`]). A full queue refuses the push, and the adapter
//! then tells its provider to deliver the report again later, so nothing is
//! acknowledged that was dropped. An SMSC may send a receipt before the send that
//! caused it has stored its message record, so updates naming an unknown message are
//! tried again a few times ([`RETRY_UNKNOWN`]) before they are dropped as unknown.
//! Updates queued when the process stops are lost with
//! it; providers that wait for our acknowledgement (SMPP) have already been told it was
//! taken, which is the same guarantee a callback answered `200` gives.

use super::reports::apply_updates;
pub use crate::adapters::reports::{QUEUE_CAPACITY, ReportQueue, ReportReceiver, report_queue};
use crate::state::AppState;
use gateway_sdk::StatusUpdate;
use std::time::Duration;

/// Waits before applying updates that named unknown messages again.
pub const RETRY_UNKNOWN: [Duration; 3] = [
    Duration::from_millis(200),
    Duration::from_secs(1),
    Duration::from_secs(3),
];

/// Applies pushed updates until every sender is gone. A store failure is logged and the
/// batch dropped (the adapter was already told it was taken).
pub async fn apply_pushed(state: AppState, mut receiver: ReportReceiver) {
    while let Some((name, updates)) = receiver.recv().await {
        match apply_updates(&state, &name, &name, &updates, true).await {
            Ok(done) => {
                let unknown = done.unknown;
                tracing::debug!(adapter = %name, applied = done.applied, duplicates = done.duplicates, unknown = unknown.len(), "pushed status updates applied");
                if !unknown.is_empty() {
                    tokio::spawn(retry_unknown(state.clone(), name, unknown));
                }
            }
            Err(e) => {
                tracing::warn!(adapter = %name, error = ?e, "pushed status updates could not be stored");
            }
        }
    }
}

/// Applies `updates` again after each of [`RETRY_UNKNOWN`] until none is unknown.
async fn retry_unknown(state: AppState, name: String, mut updates: Vec<StatusUpdate>) {
    for wait in RETRY_UNKNOWN {
        tokio::time::sleep(wait).await;
        match apply_updates(&state, &name, &name, &updates, false).await {
            Ok(done) if done.unknown.is_empty() => return,
            Ok(done) => updates = done.unknown,
            Err(e) => {
                tracing::warn!(adapter = %name, error = ?e, "pushed status updates could not be stored")
            }
        }
    }
    tracing::info!(adapter = %name, count = updates.len(), "pushed status updates for unknown messages dropped");
}
