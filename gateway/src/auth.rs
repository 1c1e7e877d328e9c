//! Bearer API keys: hashing (`gateway hash-key`) and constant-time checking.
//!
//! Keys are configured only as SHA-256 hashes. API keys are long random strings, so a
//! fast unsalted hash is adequate (as for GitHub or Stripe tokens) and keeps the check
//! cheap on every request; operators must not pick short, guessable keys. This module
//! owns the `[auth]` section too, so configuration and checking share one place.

use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// `[auth]`: API keys.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Accepted keys, stored as hashes made by `gateway hash-key`.
    pub api_keys: Vec<ApiKeyConfig>,
}

/// One accepted API key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyConfig {
    /// A name for logs (`platform-prod`); never the key.
    pub name: String,
    /// `sha256:<64 hex>` as printed by `gateway hash-key`.
    pub hash: String,
}

impl AuthConfig {
    /// Checks every configured hash decodes; on failure, the config key and why.
    pub fn validate(&self) -> Result<(), (String, &'static str)> {
        for (i, key) in self.api_keys.iter().enumerate() {
            if parse_hash(&key.hash).is_none() {
                return Err((
                    format!("auth.api_keys[{i}].hash"),
                    "must be `sha256:` followed by 64 hex digits, as printed by `gateway hash-key`",
                ));
            }
        }
        Ok(())
    }
}

/// The configured keys, decoded once at start-up.
#[derive(Debug, Clone, Default)]
pub struct ApiKeys {
    /// (name, SHA-256 of the key); the name is only for logs.
    keys: Vec<(String, [u8; 32])>,
}

impl ApiKeys {
    /// Decodes the configured hashes (already validated by `Config::validate`).
    pub fn from_config(cfg: &[ApiKeyConfig]) -> Self {
        Self {
            keys: cfg
                .iter()
                .filter_map(|k| parse_hash(&k.hash).map(|h| (k.name.clone(), h)))
                .collect(),
        }
    }

    /// The name of the key an `Authorization` header value carries, if it is valid.
    /// Every configured hash is compared, in constant time, whatever matches.
    pub fn verify(&self, authorization: Option<&str>) -> Option<&str> {
        // The scheme is case-insensitive (RFC 9110 §11.1): `bearer` and `BEARER` too.
        let (scheme, token) = authorization?.trim_start().split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let token = token.trim();
        if token.is_empty() {
            return None;
        }
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let mut found = None;
        for (name, hash) in &self.keys {
            if bool::from(hash.ct_eq(&digest)) {
                found = Some(name.as_str());
            }
        }
        found
    }
}

/// The configuration form of a key's hash: `sha256:<64 hex>`.
pub fn hash_key(plain: &str) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(plain.as_bytes())))
}

/// Decodes `sha256:<64 hex>`.
pub fn parse_hash(s: &str) -> Option<[u8; 32]> {
    let hex_part = s.strip_prefix("sha256:")?;
    let bytes = hex::decode(hex_part).ok()?;
    bytes.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> ApiKeys {
        ApiKeys::from_config(&[ApiKeyConfig {
            name: "dev".into(),
            hash: hash_key("dev-secret"),
        }])
    }

    #[test]
    fn accepts_the_right_key_only() {
        let k = keys();
        assert_eq!(k.verify(Some("Bearer dev-secret")), Some("dev"));
        assert_eq!(k.verify(Some("bearer dev-secret")), Some("dev"));
        assert_eq!(k.verify(Some("BEARER  dev-secret")), Some("dev"));
        assert_eq!(k.verify(Some("Bearerdev-secret")), None);
        assert_eq!(k.verify(Some("Bearer dev-secreT")), None);
        assert_eq!(k.verify(Some("Basic dev-secret")), None);
        assert_eq!(k.verify(Some("Bearer ")), None);
        assert_eq!(k.verify(None), None);
    }

    #[test]
    fn hash_round_trips() {
        let h = hash_key("dev-secret");
        assert!(h.starts_with("sha256:") && h.len() == 7 + 64);
        assert!(parse_hash(&h).is_some());
        assert!(parse_hash("sha256:zz").is_none());
        assert!(parse_hash("md5:00").is_none());
    }
}
