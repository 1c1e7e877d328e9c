//! Store keys that would otherwise name a person: a quota counter per phone or client
//! IP, the pending-verification slot of a phone. The store keeps each under a keyed
//! hash of its clear form instead, `<kind>:<hash>`: HMAC-SHA256 under a sub-key of the
//! server secret, truncated to 128 bits, base64url (22 characters). The kind stays
//! readable (`q:phone:…`, `q:ip:…`, `pv:…`) so operators can tell keys apart; every
//! instance sharing a store and a secret computes the same key; whoever reads the
//! store without the secret cannot test a phone number against it. 128 bits keep
//! collisions out of reach (a birthday bound of 2^64 keys) and the rows short.

use crate::store::{Ns, Rekey, Store, StoreError};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Bytes of the hash kept in a key (128 bits).
const HASH_BYTES: usize = 16;
/// Characters of that hash in base64url.
const HASH_CHARS: usize = 22;
/// The tag of pending-verification keys.
const PENDING_TAG: &str = "pv";

/// Where an earlier version kept quota counters in clear: `limits:<kind>:<subject>`.
pub const LEGACY_QUOTA_PREFIX: &str = "limits:";

/// A quota counter's kind: what it counts sends by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaKind {
    /// Sends to one phone (cooldown, hourly and daily budgets).
    Phone,
    /// Sends for one client IP (IPv4, or an IPv6 /64).
    Ip,
    /// Sends for one IPv6 /48.
    Ip48,
    /// Sends of one location.
    Location,
    /// Sends to one risky prefix.
    Prefix,
}

impl QuotaKind {
    /// Every kind.
    pub const ALL: [QuotaKind; 5] = [
        QuotaKind::Phone,
        QuotaKind::Ip,
        QuotaKind::Ip48,
        QuotaKind::Location,
        QuotaKind::Prefix,
    ];

    /// The readable start of its keys.
    pub fn tag(self) -> &'static str {
        match self {
            QuotaKind::Phone => "q:phone",
            QuotaKind::Ip => "q:ip",
            QuotaKind::Ip48 => "q:ip48",
            QuotaKind::Location => "q:loc",
            QuotaKind::Prefix => "q:prefix",
        }
    }

    /// Its name in the clear keys of earlier versions (`limits:<name>:<subject>`).
    fn legacy(self) -> &'static str {
        match self {
            QuotaKind::Phone => "phone",
            QuotaKind::Ip => "ip_hour",
            QuotaKind::Ip48 => "ip48_hour",
            QuotaKind::Location => "location_minute",
            QuotaKind::Prefix => "prefix_hour",
        }
    }
}

/// Computes hashed store keys; cheap to clone (a pre-keyed HMAC state).
#[derive(Clone)]
pub struct StoreKeys {
    /// HMAC-SHA256 already keyed with the sub-key, cloned for every key.
    mac: HmacSha256,
}

impl std::fmt::Debug for StoreKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreKeys(***)")
    }
}

impl StoreKeys {
    /// Keys hashed under `sub_key` (derived from the server secret, used for nothing else).
    pub(super) fn new(sub_key: &[u8]) -> Self {
        Self {
            mac: HmacSha256::new_from_slice(sub_key).expect("HMAC takes keys of any length"),
        }
    }

    /// `<tag>:<base64url of the first 128 bits of HMAC(tag, clear)>`. The tag is
    /// hashed too (length-prefixed), so one subject gets unrelated keys per kind.
    pub fn key(&self, tag: &str, clear: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(&(tag.len() as u64).to_be_bytes());
        mac.update(tag.as_bytes());
        mac.update(clear.as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut out = String::with_capacity(tag.len() + 1 + HASH_CHARS);
        out.push_str(tag);
        out.push(':');
        URL_SAFE_NO_PAD.encode_string(&digest[..HASH_BYTES], &mut out);
        out
    }

    /// The counter key of a quota of `kind` for `subject` (a phone, an IP, …).
    pub fn quota(&self, kind: QuotaKind, subject: &str) -> String {
        self.key(kind.tag(), subject)
    }

    /// The key of the pending-verification slot of a location, phone and purpose.
    pub fn pending(&self, location_id: &str, phone: &str, purpose: &str) -> String {
        // A phone (E.164) and a purpose hold no ':', so the join is unambiguous, as
        // the clear key of earlier versions was.
        self.key(PENDING_TAG, &format!("{location_id}:{phone}:{purpose}"))
    }

    /// The hashed key of a pending-verification slot an earlier version kept under
    /// its clear key (`<location>:<phone>:<purpose>`), or `None` if `key` is hashed.
    pub fn rekey_legacy_pending(&self, key: &str) -> Option<String> {
        let hashed = key
            .strip_prefix(PENDING_TAG)
            .and_then(|rest| rest.strip_prefix(':'))
            .is_some_and(|hash| hash.len() == HASH_CHARS && !hash.contains(':'));
        (!hashed).then(|| self.key(PENDING_TAG, key))
    }

    /// The hashed key of a quota counter an earlier version kept under its clear key
    /// (`limits:phone:+7999…`), or `None` if `legacy` is not such a key.
    pub fn rekey_legacy_quota(&self, legacy: &str) -> Option<String> {
        let rest = legacy.strip_prefix(LEGACY_QUOTA_PREFIX)?;
        let (name, subject) = rest.split_once(':')?;
        let kind = QuotaKind::ALL.into_iter().find(|k| k.legacy() == name)?;
        Some(self.quota(kind, subject))
    }
}

/// Moves what an earlier version kept under clear keys, once the secret is known and
/// before any request: quota counters (merged with any already counted under the
/// hashed key, so a cooldown or budget in force keeps counting across the upgrade)
/// and pending-verification slots. Idempotent, and safe when several instances
/// sharing a store start at once. Returns `(quota counters, pending slots)` moved.
pub async fn hash_legacy_keys(
    store: &dyn Store,
    keys: &StoreKeys,
) -> Result<(u64, u64), StoreError> {
    let quotas = store
        .rekey(Rekey::Quotas(LEGACY_QUOTA_PREFIX), &|k| {
            keys.rekey_legacy_quota(k)
        })
        .await?;
    let pending = store
        .rekey(Rekey::Values(Ns::PendingVerification), &|k| {
            keys.rekey_legacy_pending(k)
        })
        .await?;
    if quotas + pending > 0 {
        tracing::info!(
            quotas,
            pending,
            "moved quota counters and pending verifications an earlier version kept under clear keys to hashed keys"
        );
    }
    Ok((quotas, pending))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::ServerSecret;

    fn keys(secret: &[u8]) -> StoreKeys {
        ServerSecret::new(secret.to_vec()).store_keys().clone()
    }

    #[test]
    fn keys_are_stable_short_and_keep_their_kind_readable() {
        let k = keys(b"a secret");
        let a = k.quota(QuotaKind::Phone, "+79991234567");
        assert_eq!(a, keys(b"a secret").quota(QuotaKind::Phone, "+79991234567"));
        assert!(a.starts_with("q:phone:"), "{a}");
        assert_eq!(a.len(), "q:phone:".len() + 22);
        assert!(!a.contains("9991234567"));
        let p = k.pending("loc_1", "+79991234567", "login");
        assert!(p.starts_with("pv:") && !p.contains("9991234567"), "{p}");
    }

    #[test]
    fn keys_differ_per_subject_kind_and_secret() {
        let k = keys(b"a secret");
        let phone = k.quota(QuotaKind::Phone, "+79991234567");
        assert_ne!(phone, k.quota(QuotaKind::Phone, "+79991234568"));
        let hashes: std::collections::HashSet<String> = QuotaKind::ALL
            .iter()
            .map(|kind| {
                let key = k.quota(*kind, "+79991234567");
                key.rsplit(':').next().unwrap().to_owned()
            })
            .collect();
        assert_eq!(
            hashes.len(),
            QuotaKind::ALL.len(),
            "one subject, unrelated hashes"
        );
        assert_ne!(
            phone,
            keys(b"another secret").quota(QuotaKind::Phone, "+79991234567")
        );
        assert_ne!(
            k.pending("loc_1", "+79991234567", "login"),
            k.pending("loc_1", "+79991234567", "signup")
        );
    }

    #[test]
    fn legacy_clear_keys_map_to_the_keys_now_counted() {
        let k = keys(b"a secret");
        let cases = [
            (
                "limits:phone:+79991234567",
                QuotaKind::Phone,
                "+79991234567",
            ),
            ("limits:ip_hour:203.0.113.7", QuotaKind::Ip, "203.0.113.7"),
            (
                "limits:ip48_hour:2001:db8:1::/48",
                QuotaKind::Ip48,
                "2001:db8:1::/48",
            ),
            ("limits:location_minute:loc_1", QuotaKind::Location, "loc_1"),
            ("limits:prefix_hour:+882", QuotaKind::Prefix, "+882"),
        ];
        for (legacy, kind, subject) in cases {
            assert_eq!(
                k.rekey_legacy_quota(legacy),
                Some(k.quota(kind, subject)),
                "{legacy}"
            );
        }
        assert_eq!(k.rekey_legacy_quota("q:phone:abc"), None);
        assert_eq!(k.rekey_legacy_quota("limits:unknown:x"), None);
        let hashed = k.pending("pv", "+79991234567", "login");
        assert_eq!(
            k.rekey_legacy_pending("pv:+79991234567:login"),
            Some(hashed.clone()),
            "a location named pv is still a clear key"
        );
        assert_eq!(k.rekey_legacy_pending(&hashed), None);
    }
}
