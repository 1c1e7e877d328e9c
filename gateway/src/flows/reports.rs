//! Delivery reports: applying a provider's status updates (from a callback the HTTP
//! half in `api::callbacks` received, or pushed by an adapter itself, see `pushed`) to
//! the messages they name. A failure of the channel a message was last accepted on,
//! soon enough after it, starts a late fallback (`late`, `fallback`).

use crate::error::ApiError;
use crate::flows::late::StoredMessage;
use crate::flows::send::provider_ref;
use crate::state::AppState;
use crate::store::{Ns, Write, to_json};
use gateway_sdk::StatusUpdate;

/// Applies provider status updates for instance `name` (from a callback, or pushed by
/// the adapter itself, see `flows::pushed`): each moves its message forward and lands in
/// its history. A report that repeats what the message already recorded (a provider's
/// retry, or a replay of a signed callback) leaves the record untouched, not even
/// re-written. Returns what happened to the updates; `first` counts them in the
/// delivery-report metric under `label` (a retry does not).
pub async fn apply_updates(
    state: &AppState,
    name: &str,
    label: &str,
    updates: &[StatusUpdate],
    first: bool,
) -> Result<Applied, ApiError> {
    let mut out = Applied::default();
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
            out.unknown.push(update.clone());
            tracing::info!(adapter = %name, status = update.status.as_str(), "delivery report for an unknown message acknowledged");
            continue;
        };
        let at = update.at.unwrap_or_else(|| state.clock.now());
        let detail = match (&update.error_code, &update.detail) {
            (Some(c), Some(d)) => Some(format!("{c}: {d}")),
            (Some(c), None) => Some(c.clone()),
            (None, d) => d.clone(),
        };
        // The report is applied and, if it is a failure of the current channel inside
        // its window, the late fallback claimed, in one atomic step: once, whichever
        // replica applies it (the claim takes the state out of the stored record).
        let apply = |cur: Option<&str>| match StoredMessage::parse(cur) {
            Some(mut stored) => {
                if !stored.record.apply(name, update.status, at, detail.clone()) {
                    return (Write::Keep, (false, None));
                }
                let claimed = stored
                    .claim(name, update.status, now)
                    .map(|late| (late, stored.record.clone()));
                // The record keeps its retention: re-stored with the same lifetime.
                let expires = now + state.config.store.message_retention.as_millis() as i64;
                (Write::Put(to_json(&stored), Some(expires)), (true, claimed))
            }
            None => (Write::Keep, (true, None)),
        };
        let (changed, claimed) = state
            .store
            .update(Ns::Message, &message_id, now, apply)
            .await?;
        out.applied += 1;
        if !changed {
            out.duplicates += 1;
        }
        if let Some((late, record)) = claimed {
            // Sent in the background: the provider's report is answered now.
            let state = state.clone();
            let reason = format!("{name} reported {}", update.status.as_str());
            out.fallbacks.push(tokio::spawn(async move {
                super::fallback::run(&state, record, late, reason).await;
            }));
        }
    }
    Ok(out)
}

/// What [`apply_updates`] did with a batch of updates.
#[derive(Debug, Default)]
pub struct Applied {
    /// Updates that named a known message (duplicates included).
    pub applied: usize,
    /// Of those, repeats of a status the message already had from that adapter: no change.
    pub duplicates: usize,
    /// Updates naming messages this gateway does not know.
    pub unknown: Vec<StatusUpdate>,
    /// The late fallbacks these updates started (each sends in the background; tests
    /// wait for them).
    pub fallbacks: Vec<tokio::task::JoinHandle<()>>,
}
