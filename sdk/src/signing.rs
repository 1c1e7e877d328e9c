//! Standard Webhooks signatures (feature `signing`): the one HMAC scheme the gateway uses
//! for HTTP it sends to, and accepts from, services it does not control — the generic
//! HTTP adapter's requests and delivery reports, and the gateway's outgoing webhooks.
//!
//! The scheme is the Standard Webhooks specification, v1: three headers, `webhook-id`
//! (unique per message, the same when it is resent), `webhook-timestamp` (Unix seconds)
//! and `webhook-signature` (`v1,` then the base64 of HMAC-SHA256 over
//! `"{id}.{timestamp}.{body}"`, several space-separated during a key rotation), under a
//! secret written `whsec_` + base64 of at least 24 random bytes. Libraries for it exist
//! in most languages, so an integrator verifies us with theirs, or with ten lines of
//! their standard library (docs/adapters/http.md). The HMAC is the `hmac` crate's; what
//! is written here is only the framing (the message to sign and the header values), so
//! that the freshness check can use the caller's clock, which the reference crate's
//! `verify` (wall clock) cannot; the tests hold it to the specification's test vector.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;

/// The message id header.
pub const HEADER_ID: &str = "webhook-id";
/// The Unix-seconds timestamp header.
pub const HEADER_TIMESTAMP: &str = "webhook-timestamp";
/// The signature header (`v1,<base64>`, space-separated when several).
pub const HEADER_SIGNATURE: &str = "webhook-signature";
/// How secrets are written: `whsec_` then base64.
pub const SECRET_PREFIX: &str = "whsec_";
/// The shortest key the specification allows, in bytes (192 bits).
pub const MIN_KEY_BYTES: usize = 24;

type HmacSha256 = Hmac<Sha256>;

/// A signing key; `Debug` prints `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey {
    key: Vec<u8>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(***)")
    }
}

/// Why a secret is not a usable key (the message never quotes the secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not base64 after the optional `whsec_` prefix.
    #[error("the secret must be `whsec_` followed by base64")]
    NotBase64,
    /// Decodes to fewer than [`MIN_KEY_BYTES`] bytes.
    #[error("the secret decodes to {0} bytes; use at least 24 random bytes")]
    TooShort(usize),
}

/// Why a signed request is refused; the caller answers 401 whichever it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// A required header is absent or empty.
    #[error("missing `{0}` header")]
    Missing(&'static str),
    /// `webhook-timestamp` is not an integer.
    #[error("`webhook-timestamp` is not Unix seconds")]
    BadTimestamp,
    /// Signed longer ago than the tolerance: possibly a replay.
    #[error("signed {0} s ago, outside the accepted window")]
    Stale(i64),
    /// Signed further in the future than the tolerance.
    #[error("signed {0} s in the future, outside the accepted window")]
    Future(i64),
    /// No `v1` signature matches the body under this key.
    #[error("no signature matches this body")]
    Mismatch,
}

/// What a verified request was signed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// `webhook-id`: deduplicate on it if a repeated message must not act twice.
    pub id: String,
    /// `webhook-timestamp`.
    pub timestamp: i64,
}

impl SigningKey {
    /// Parses `whsec_<base64>` (the prefix is optional).
    pub fn from_secret(secret: &str) -> Result<Self, KeyError> {
        let encoded = secret.trim();
        let encoded = encoded.strip_prefix(SECRET_PREFIX).unwrap_or(encoded);
        let key = BASE64.decode(encoded).map_err(|_| KeyError::NotBase64)?;
        if key.len() < MIN_KEY_BYTES {
            return Err(KeyError::TooShort(key.len()));
        }
        Ok(Self { key })
    }

    fn mac(&self, id: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
        // HMAC accepts keys of any length, so `new_from_slice` cannot fail.
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// The `webhook-signature` value for `body` sent as message `id` at `timestamp`.
    pub fn signature(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let tag = self.mac(id, timestamp, body).finalize().into_bytes();
        format!("v1,{}", BASE64.encode(tag))
    }

    /// The three headers to send with `body`.
    pub fn headers(&self, id: &str, timestamp: i64, body: &[u8]) -> [(&'static str, String); 3] {
        [
            (HEADER_ID, id.to_owned()),
            (HEADER_TIMESTAMP, timestamp.to_string()),
            (HEADER_SIGNATURE, self.signature(id, timestamp, body)),
        ]
    }

    /// Checks a received `body` whose headers `header(name)` gives (by lowercase name):
    /// the timestamp within `tolerance` of `now` (Unix seconds) either way, then any
    /// `v1` signature matching, compared in constant time.
    pub fn verify<'a>(
        &self,
        header: impl Fn(&'static str) -> Option<&'a str>,
        body: &[u8],
        now: i64,
        tolerance: Duration,
    ) -> Result<Signed, VerifyError> {
        let get = |name: &'static str| {
            header(name)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .ok_or(VerifyError::Missing(name))
        };
        let id = get(HEADER_ID)?;
        let timestamp: i64 = get(HEADER_TIMESTAMP)?
            .parse()
            .map_err(|_| VerifyError::BadTimestamp)?;
        let signatures = get(HEADER_SIGNATURE)?;
        let tolerance = i64::try_from(tolerance.as_secs()).unwrap_or(i64::MAX);
        let age = now.saturating_sub(timestamp);
        if age > tolerance {
            return Err(VerifyError::Stale(age));
        }
        if -age > tolerance {
            return Err(VerifyError::Future(-age));
        }
        let mac = self.mac(id, timestamp, body);
        let matches = signatures
            .split(' ')
            .filter_map(|s| s.strip_prefix("v1,"))
            .filter_map(|b64| BASE64.decode(b64).ok())
            .any(|tag| mac.clone().verify_slice(&tag).is_ok());
        if !matches {
            return Err(VerifyError::Mismatch);
        }
        Ok(Signed {
            id: id.to_owned(),
            timestamp,
        })
    }
}

#[cfg(test)]
mod tests;
