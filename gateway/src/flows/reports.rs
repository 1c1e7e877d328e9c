//! Delivery reports: applying a provider's status updates (from a callback the HTTP
//! half in `api::callbacks` received, or pushed by an adapter itself, see `pushed`) to
//! the messages they name.

use crate::error::ApiError;
use crate::flows::record::MessageRecord;
use crate::flows::send::provider_ref;
use crate::state::AppState;
use crate::store::{Ns, Write, to_json};
use gateway_sdk::StatusUpdate;

/// Applies provider status updates for instance `name` (from a callback, or pushed by
/// the adapter itself, see `flows::pushed`): each moves its message forward and lands in
/// its history. Returns how many were applied and the updates that named unknown
/// messages. `first` counts them in the delivery-report metric under `label` (a retry
/// does not).
pub async fn apply_updates(
    state: &AppState,
    name: &str,
    label: &str,
    updates: &[StatusUpdate],
    first: bool,
) -> Result<(usize, Vec<StatusUpdate>), ApiError> {
    let mut applied = 0usize;
    let mut unknown = Vec::new();
    for update in updates {
        if first {
            state.metrics.record_delivery_report(label, update.status);
        }
        let now = state.now_ms();
        let Some(message_id) = state
            .store
            .get(
                Ns::ProviderRef,
                &provider_ref(name, &update.provider_message_id),
                now,
            )
            .await?
        else {
            unknown.push(update.clone());
            tracing::info!(adapter = %name, status = update.status.as_str(), "delivery report for an unknown message acknowledged");
            continue;
        };
        let at = update.at.unwrap_or_else(|| state.clock.now());
        let detail = match (&update.error_code, &update.detail) {
            (Some(c), Some(d)) => Some(format!("{c}: {d}")),
            (Some(c), None) => Some(c.clone()),
            (None, d) => d.clone(),
        };
        let apply = |cur: Option<&str>| match cur
            .and_then(|s| serde_json::from_str::<MessageRecord>(s).ok())
        {
            Some(mut rec) => {
                rec.apply(name, update.status, at, detail.clone());
                // The record keeps its retention: re-stored with the same lifetime.
                let expires = now + state.config.store.message_retention.as_millis() as i64;
                (Write::Put(to_json(&rec), Some(expires)), ())
            }
            None => (Write::Keep, ()),
        };
        state
            .store
            .update(Ns::Message, &message_id, now, apply)
            .await?;
        applied += 1;
    }
    Ok((applied, unknown))
}
