//! What a message record keeps for a late fallback, and when one is due.
//!
//! A channel that accepted a message can still report minutes later that it failed
//! (`failed`, `undelivered`, a chatbot's `revoked`/`expired`). For
//! `routing.late_fallback_window` after the acceptance, such a report for the channel
//! the message was last accepted on sends the same code once through the location's
//! next channel (`flows::fallback`). To do that the stored record carries a
//! [`LateFallback`], never shown by the API: when the window opened and closes, and,
//! for a code the caller made (`POST /v1/messages`), the phone and code sealed with an
//! AEAD ([`crate::vault::Vault`], XChaCha20-Poly1305) under a key derived from the
//! server secret and bound to the message id. A verification's code is not sealed: it
//! is re-derived from the verification's salt. The state leaves the record when the
//! fallback is claimed (in the same atomic `Store::update` that applies the report, so
//! it happens once across replicas and restarts) or when the window closes.

use super::prepare::Prepared;
use super::record::{MessageRecord, MessageStatus};
use crate::adapters::AdapterInstance;
use crate::secret::ServerSecret;
use crate::state::AppState;
use crate::store::Millis;
use crate::vault::Vault;
use gateway_sdk::DeliveryStatus;
use serde::{Deserialize, Serialize};

/// The late-fallback state of a message, while its window is open and unused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LateFallback {
    /// When the channel accepted the message (unix ms).
    pub accepted_at: Millis,
    /// Until when (unix ms, exclusive) a failure report triggers the fallback.
    pub until: Millis,
    /// When the accepting instance has `fallback_after`: the moment (unix ms) at which,
    /// with no `delivered` or `read` report yet, the fallback happens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub silent_until: Option<Millis>,
    /// The phone and code, sealed and bound to the message id; `None` for a
    /// verification's message, whose code is re-derived from its salt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed: Option<String>,
}

/// A message record as stored: what the API shows, plus the late-fallback state. The
/// API reads stored records as [`MessageRecord`], which leaves the state out.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredMessage {
    /// What the API shows.
    #[serde(flatten)]
    pub record: MessageRecord,
    /// Present while a late fallback may still happen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late_fallback: Option<LateFallback>,
}

/// Whether a reported status means the message will not reach the phone.
pub fn is_failure(status: DeliveryStatus) -> bool {
    matches!(
        status,
        DeliveryStatus::Failed | DeliveryStatus::Undelivered | DeliveryStatus::Expired
    )
}

impl LateFallback {
    /// When the state has no use left (unix ms): the later of the failure window's end
    /// and the `fallback_after` moment.
    pub fn ends(&self) -> Millis {
        self.silent_until.map_or(self.until, |s| s.max(self.until))
    }
}

impl StoredMessage {
    /// Reads a stored value; `None` if absent or unreadable.
    pub fn parse(stored: Option<&str>) -> Option<Self> {
        stored.and_then(|s| serde_json::from_str(s).ok())
    }

    /// Decides on a report `adapter` made at `now`. A failure of the channel the
    /// message was last accepted on, inside the window, claims the fallback: the state
    /// is taken out of the record and returned (whoever stores this record first wins;
    /// nobody can claim it again). A report after the window drops the state. Returns
    /// `None` otherwise, the state left as it was.
    pub fn claim(
        &mut self,
        adapter: &str,
        status: DeliveryStatus,
        now: Millis,
    ) -> Option<LateFallback> {
        let late = self.late_fallback.as_ref()?;
        if now >= late.ends() {
            self.late_fallback = None;
            return None;
        }
        if now >= late.until || !is_failure(status) || adapter != self.record.adapter {
            return None;
        }
        self.late_fallback.take()
    }

    /// Claims the fallback when the accepting instance's `fallback_after` has passed at
    /// `now` and the message is not `delivered` or `read` (a failure reported after the
    /// failure window counts as no delivery).
    pub fn claim_silent(&mut self, now: Millis) -> Option<LateFallback> {
        let due = self.late_fallback.as_ref()?.silent_until?;
        let reached = matches!(
            self.record.status,
            MessageStatus::Delivered | MessageStatus::Read
        );
        if now < due || reached {
            return None;
        }
        self.late_fallback.take()
    }

    /// Drops the state if it has no use left at `now`; whether it did.
    pub fn expire(&mut self, now: Millis) -> bool {
        match &self.late_fallback {
            Some(late) if now >= late.ends() => {
                self.late_fallback = None;
                true
            }
            _ => false,
        }
    }
}

/// The late-fallback state a message `adapter` just accepted starts with, or `None`
/// when no late fallback can follow: the window is off and the instance has no
/// `fallback_after`, the channel never reports delivery, or the location has no
/// channel after it.
pub fn start(
    state: &AppState,
    prepared: &Prepared,
    adapter: &dyn AdapterInstance,
    message_id: &str,
    code: &str,
    verification_id: Option<&str>,
) -> Option<LateFallback> {
    let window = state.config.routing.late_fallback_window;
    let silent = state
        .config
        .adapters
        .iter()
        .find(|a| a.name == adapter.name())
        .and_then(|a| a.fallback_after);
    if (window.is_zero() && silent.is_none()) || !adapter.capabilities().delivery_reports {
        return None;
    }
    let at = prepared
        .channels
        .iter()
        .position(|c| c.name() == adapter.name())?;
    if at + 1 >= prepared.channels.len() {
        return None;
    }
    let accepted_at = state.now_ms();
    let sealed = match verification_id {
        Some(_) => None,
        None => Some(seal(&state.secret, message_id, &prepared.phone.e164, code)),
    };
    let after = |d: std::time::Duration| {
        accepted_at.saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    };
    Some(LateFallback {
        accepted_at,
        until: after(window),
        silent_until: silent.map(after),
        sealed,
    })
}

/// The phone and code a sealed value holds.
#[derive(Serialize, Deserialize)]
pub struct Sealed {
    /// Recipient, E.164.
    pub phone: String,
    /// The code.
    pub code: String,
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealed(***)")
    }
}

/// The vault sealing late-fallback payloads: one key, derived from the server secret
/// (so every replica sharing the secret opens what another sealed).
fn vault(secret: &ServerSecret) -> Vault {
    Vault::new(&[secret.seal_key().to_vec()]).expect("a 32-byte key makes a vault")
}

/// Seals `phone` and `code` for message `message_id`.
pub fn seal(secret: &ServerSecret, message_id: &str, phone: &str, code: &str) -> String {
    let payload = serde_json::to_vec(&Sealed {
        phone: phone.to_owned(),
        code: code.to_owned(),
    })
    .expect("two strings serialize");
    vault(secret).seal(&payload, message_id.as_bytes())
}

/// Opens what [`seal`] sealed for `message_id`; `None` if it does not verify (altered,
/// copied from another record, or sealed under another server secret).
pub fn open(secret: &ServerSecret, message_id: &str, sealed: &str) -> Option<Sealed> {
    let plain = vault(secret).open(sealed, message_id.as_bytes()).ok()?;
    serde_json::from_slice(&plain).ok()
}

/// Watches `late` of message `message_id`: revisited at its `fallback_after` moment
/// and when it ends (`fallback::due`).
pub fn watch(state: &AppState, late: &LateFallback, message_id: &str) {
    let times = late.silent_until.into_iter().chain([late.ends()]);
    for at in times {
        if !state.late_fallbacks.push(at, message_id.to_owned()) {
            tracing::debug!(
                message_id,
                "late-fallback watch full; the state stays until a report or the record's retention"
            );
        }
    }
}

#[cfg(test)]
mod tests;
