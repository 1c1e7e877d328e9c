//! The stored verification, its status, and what the API shows of it.

use crate::clock::rfc3339;
use crate::error::{ApiError, ErrorCode};
use crate::flows::Purpose;
use crate::flows::record::MessageRecord;
use crate::metrics::VerificationOutcome;
use crate::secret::ServerSecret;
use crate::state::AppState;
use crate::store::{Millis, Ns, Write, get_json, to_json};
use crate::vault::Vault;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Where a verification stands. A `pending` verification past its `expires_at` is
/// expired whether or not that was written down yet: it is shown as `expired`, and the
/// first request that finds it so stores `Expired` (counting it once in
/// `gateway_verifications_total{outcome="expired"}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Sent (or being sent) and waiting for the right code.
    Pending,
    /// The right code was checked; a token was issued.
    Approved,
    /// The check attempts were used up.
    Failed,
    /// The platform cancelled it.
    Cancelled,
    /// Its TTL passed before the right code was checked.
    Expired,
}

impl Status {
    /// The API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
            Status::Expired => "expired",
        }
    }
}

/// A stored verification. Holds no code: only the salt it is derived from and its
/// keyed hash.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Verification {
    /// `ver_…`.
    pub id: String,
    /// Location id.
    pub location_id: String,
    /// Recipient, sealed ([`crate::vault`] under the server secret's
    /// [`ServerSecret::phone_seal_key`], bound to the id): kept to re-send and for token
    /// introspection, never stored or shown in full. A record an earlier version wrote
    /// holds it in clear (E.164, starting with `+`); both read with
    /// [`Verification::phone_e164`].
    pub phone: String,
    /// What the code is for.
    pub purpose: Purpose,
    /// Where it stands (expiry is derived from time).
    pub status: Status,
    /// Hex salt the code is derived from.
    pub salt: String,
    /// Digits in the code.
    pub code_length: u8,
    /// Keyed hash of the code.
    pub code_hash: String,
    /// Checks left.
    pub attempts_left: u32,
    /// Sends so far.
    pub sends: u32,
    /// When it was created (ms).
    pub created_at: Millis,
    /// When the code stops being checkable (ms).
    pub expires_at: Millis,
    /// When the code was last sent (ms).
    pub last_sent_at: Millis,
    /// Adapter instance of the last send.
    pub adapter: String,
    /// Channel of the last send.
    pub channel: String,
    /// The last message record id.
    pub message_id: String,
}

impl Verification {
    /// Reads a stored value; `None` if absent or unreadable.
    pub(super) fn parse(stored: Option<&str>) -> Option<Self> {
        stored.and_then(|s| serde_json::from_str(s).ok())
    }

    /// Pending and not yet past its expiry at `now`.
    pub(super) fn is_live(&self, now: Millis) -> bool {
        self.status == Status::Pending && now < self.expires_at
    }

    /// How long the record is kept: a while past expiry, so a late check gets
    /// `410`/`429` instead of `404`.
    pub(super) fn keep_until(&self) -> Option<Millis> {
        Some(self.expires_at + KEEP_AFTER_EXPIRY_MS)
    }

    /// Pending but past its expiry at `now`: it should be (and is, by the first
    /// request that sees it) stored as [`Status::Expired`].
    pub(super) fn is_due_to_expire(&self, now: Millis) -> bool {
        self.status == Status::Pending && now >= self.expires_at
    }

    /// The recipient in E.164: opened from its sealed form, or as an earlier version
    /// stored it. `None` if it does not open (the server secret changed).
    pub fn phone_e164(&self, secret: &ServerSecret) -> Option<String> {
        if self.phone.starts_with('+') {
            return Some(self.phone.clone());
        }
        let plain = phone_vault(secret)
            .open(&self.phone, self.id.as_bytes())
            .ok()?;
        String::from_utf8(plain).ok()
    }

    /// The recipient masked for display (`+7999***4567`).
    pub fn phone_masked(&self, secret: &ServerSecret) -> String {
        self.phone_e164(secret)
            .map_or_else(|| "***".to_owned(), |p| crate::phone::mask(&p))
    }

    /// The key of its "one pending verification per location, phone and purpose" slot
    /// (`None` when the phone does not open: there is no slot to find then).
    pub(super) fn pending_key(&self, secret: &ServerSecret) -> Option<String> {
        let phone = self.phone_e164(secret)?;
        Some(pending_key(secret, &self.location_id, &phone, self.purpose))
    }
}

/// The vault verification phones are sealed in: one key, derived from the server secret.
fn phone_vault(secret: &ServerSecret) -> Vault {
    Vault::new(&[secret.phone_seal_key().to_vec()]).expect("a 32-byte key makes a vault")
}

/// The stored form of a verification's phone: sealed, bound to the verification id.
pub(super) fn seal_phone(secret: &ServerSecret, verification_id: &str, e164: &str) -> String {
    phone_vault(secret).seal(e164.as_bytes(), verification_id.as_bytes())
}

/// How long a finished or expired verification is still remembered (so a late check
/// gets `410`/`429` instead of `404`).
pub(super) const KEEP_AFTER_EXPIRY_MS: i64 = 3_600_000;

/// The pending slot's key for a location, phone and purpose: a keyed hash
/// (`pv:…`, see `secret/keys.rs`), so the store holds no phone.
pub(super) fn pending_key(
    secret: &ServerSecret,
    location_id: &str,
    phone: &str,
    purpose: Purpose,
) -> String {
    secret
        .store_keys()
        .pending(location_id, phone, purpose.as_str())
}

pub(super) fn not_found(detail: &str) -> ApiError {
    ApiError::new(ErrorCode::VerificationNotFound, detail.to_owned())
}

/// The public view of a verification (never the code, phone masked).
pub fn view(state: &AppState, v: &Verification, message: Option<&MessageRecord>) -> Value {
    let now = state.now_ms();
    let status = if v.is_due_to_expire(now) {
        Status::Expired
    } else {
        v.status
    };
    let cooldown = state.limits.resend_cooldown().as_millis() as i64;
    let mut out = json!({
        "id": v.id,
        "status": status.as_str(),
        "location_id": v.location_id,
        "phone": v.phone_masked(&state.secret),
        "purpose": v.purpose,
        "channel": v.channel,
        "adapter": v.adapter,
        "expires_at": rfc3339(to_time(v.expires_at)),
        "resend_available_at": rfc3339(to_time(v.last_sent_at + cooldown)),
        "attempts_left": v.attempts_left,
        "sends": v.sends,
        "sends_left": state.config.verification.max_sends.saturating_sub(v.sends),
        "message_id": v.message_id,
        "created_at": rfc3339(to_time(v.created_at)),
    });
    if let Some(m) = message {
        out["message"] = serde_json::to_value(m).unwrap_or_default();
    }
    out
}

/// Unix milliseconds as a time.
pub(super) fn to_time(ms: Millis) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// Loads a verification by id. One found pending past its expiry is stored as
/// expired on the way (and counted, once).
pub async fn load(state: &AppState, id: &str) -> Result<Option<Verification>, ApiError> {
    let now = state.now_ms();
    let found = get_json::<Verification>(state.store.as_ref(), Ns::Verification, id, now).await?;
    match found {
        Some(v) if v.is_due_to_expire(now) => Ok(Some(expire(state, v, now).await?)),
        other => Ok(other),
    }
}

/// Stores a verification found pending past its expiry as expired, counting the
/// expiry if this call is the one that wrote it (concurrent readers count it once).
async fn expire(
    state: &AppState,
    seen: Verification,
    now: Millis,
) -> Result<Verification, ApiError> {
    let decide = |cur: Option<&str>| match Verification::parse(cur) {
        Some(mut v) if v.is_due_to_expire(now) => {
            v.status = Status::Expired;
            (Write::Put(to_json(&v), v.keep_until()), (Some(v), true))
        }
        other => (Write::Keep, (other, false)),
    };
    let (current, expired_now) = state
        .store
        .update(Ns::Verification, &seen.id, now, decide)
        .await?;
    if expired_now {
        count_expired(state, seen.purpose);
    }
    Ok(current.unwrap_or(seen))
}

/// Counts one verification that expired before being approved.
pub(super) fn count_expired(state: &AppState, purpose: Purpose) {
    state
        .metrics
        .record_verification(purpose.into(), VerificationOutcome::Expired);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_phone_is_stored_sealed_and_a_clear_one_from_before_still_reads() {
        let secret = ServerSecret::new(b"model test secret".to_vec());
        let sealed = seal_phone(&secret, "ver_1", "+79991234567");
        assert!(!sealed.contains("9991234567"), "{sealed}");
        let stored = json!({
            "id": "ver_1", "location_id": "42", "phone": sealed, "purpose": "login",
            "status": "pending", "salt": "00", "code_length": 6, "code_hash": "h",
            "attempts_left": 5, "sends": 1, "created_at": 0, "expires_at": 1,
            "last_sent_at": 0, "adapter": "a", "channel": "sms", "message_id": "msg_1"
        });
        let v: Verification = serde_json::from_value(stored.clone()).unwrap();
        assert_eq!(v.phone_e164(&secret).as_deref(), Some("+79991234567"));
        assert_eq!(v.phone_masked(&secret), "+7999***4567");
        assert_eq!(
            v.pending_key(&secret),
            Some(pending_key(&secret, "42", "+79991234567", Purpose::Login))
        );
        // Copied onto another record, or under another secret, it does not open.
        let mut moved = v.clone();
        moved.id = "ver_2".into();
        assert_eq!(moved.phone_e164(&secret), None);
        let other = ServerSecret::new(b"another secret".to_vec());
        assert_eq!(v.phone_e164(&other), None);
        assert_eq!(v.phone_masked(&other), "***");
        // A record an earlier version wrote holds the phone in clear: still read.
        let mut legacy = stored;
        legacy["phone"] = json!("+79991234567");
        let old: Verification = serde_json::from_value(legacy).unwrap();
        assert_eq!(old.phone_e164(&secret).as_deref(), Some("+79991234567"));
        assert_eq!(old.pending_key(&secret), v.pending_key(&secret));
    }

    #[test]
    fn statuses_keep_their_wire_names() {
        for s in [
            Status::Pending,
            Status::Approved,
            Status::Failed,
            Status::Cancelled,
            Status::Expired,
        ] {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
            let back: Status = serde_json::from_value(json!(s.as_str())).unwrap();
            assert_eq!(back, s);
        }
    }
}
