//! The server secret, and what is derived from it: verification codes, the keyed hashes
//! codes are stored as, and the token-signing key.
//!
//! A code is never stored. A verification keeps a random salt drawn from the OS CSPRNG;
//! its code is `HMAC(secret, "code" | salt)` reduced to decimal digits, so a resend can
//! re-derive the very same code without the code ever touching the store, and nobody
//! without the secret can compute it. What is stored for checking is
//! `HMAC(secret, "check" | verification id | code)`, compared in constant time.

use crate::store::{Ns, Store, StoreError};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// Bytes of generated secrets and salts.
const SECRET_BYTES: usize = 32;

/// The gateway's secret key material.
#[derive(Clone)]
pub struct ServerSecret {
    /// The root secret; everything else is derived with domain-separated HMACs.
    key: Vec<u8>,
}

impl std::fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerSecret(***)")
    }
}

impl ServerSecret {
    /// Wraps configured key material.
    pub fn new(key: impl Into<Vec<u8>>) -> Self {
        Self { key: key.into() }
    }

    /// The configured secret, or the one kept in the store, generating and keeping one
    /// on first start so codes and tokens survive restarts.
    pub async fn load(configured: Option<&str>, store: &dyn Store) -> Result<Self, StoreError> {
        if let Some(s) = configured {
            return Ok(Self::new(s.as_bytes().to_vec()));
        }
        let fresh = hex::encode(random_bytes());
        // Only the first writer wins, so concurrent first starts agree on one secret.
        store
            .put_if_absent(Ns::Meta, "server_secret", fresh, None, 0)
            .await?;
        let kept = store
            .get(Ns::Meta, "server_secret", 0)
            .await?
            .ok_or_else(|| {
                StoreError::Backend("server secret vanished after being stored".into())
            })?;
        let key = hex::decode(kept.trim()).map_err(|e| StoreError::Corrupt {
            ns: "meta",
            key: "server_secret".into(),
            message: e.to_string(),
        })?;
        Ok(Self::new(key))
    }

    fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        for p in parts {
            mac.update(&(p.len() as u64).to_be_bytes());
            mac.update(p);
        }
        mac.finalize().into_bytes().into()
    }

    /// The code of a verification with this salt: `digits` decimal digits.
    pub fn derive_code(&self, salt: &[u8], digits: u8) -> String {
        let out = self.mac(&[b"code", salt]);
        let n = u64::from_be_bytes(out[..8].try_into().expect("8 bytes"));
        // 2^64 over 10^10 leaves a modulo bias below 1e-9: negligible for codes.
        let modulus = 10u64.pow(u32::from(digits));
        format!("{:0width$}", n % modulus, width = usize::from(digits))
    }

    /// The keyed hash a code is stored as, bound to its verification.
    pub fn code_hash(&self, verification_id: &str, code: &str) -> String {
        hex::encode(self.mac(&[b"check", verification_id.as_bytes(), code.as_bytes()]))
    }

    /// Whether `candidate` is the code whose hash is `stored`, in constant time.
    pub fn code_matches(&self, verification_id: &str, candidate: &str, stored: &str) -> bool {
        let computed = self.code_hash(verification_id, candidate);
        computed.as_bytes().ct_eq(stored.as_bytes()).into()
    }

    /// The key confirmation tokens are signed with.
    pub fn token_key(&self) -> [u8; 32] {
        self.mac(&[b"token-signing-key"])
    }

    /// The key idempotency fingerprints are made with (so they reveal nothing).
    pub fn fingerprint(&self, parts: &[&[u8]]) -> String {
        let mut all: Vec<&[u8]> = vec![b"idempotency"];
        all.extend_from_slice(parts);
        hex::encode(self.mac(&all))
    }
}

/// Fresh random bytes from the OS CSPRNG.
pub fn random_bytes() -> [u8; SECRET_BYTES] {
    let mut b = [0u8; SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_deterministic_per_salt_and_sized() {
        let s = ServerSecret::new(b"k".to_vec());
        for digits in 4..=10u8 {
            let c = s.derive_code(b"salt", digits);
            assert_eq!(c.len(), usize::from(digits));
            assert!(c.bytes().all(|b| b.is_ascii_digit()));
            assert_eq!(c, s.derive_code(b"salt", digits));
        }
        assert_ne!(s.derive_code(b"salt-a", 10), s.derive_code(b"salt-b", 10));
        assert_ne!(
            ServerSecret::new(b"other".to_vec()).derive_code(b"salt", 10),
            s.derive_code(b"salt", 10)
        );
    }

    #[test]
    fn code_digits_are_roughly_uniform() {
        let s = ServerSecret::new(random_bytes().to_vec());
        let mut counts = [0u32; 10];
        for i in 0..20_000u32 {
            let c = s.derive_code(&i.to_be_bytes(), 6);
            counts[usize::from(c.as_bytes()[0] - b'0')] += 1;
        }
        // Each leading digit expected 2000 times; 1600..2400 is > 9 sigma wide.
        assert!(
            counts.iter().all(|&n| (1600..2400).contains(&n)),
            "{counts:?}"
        );
    }

    #[test]
    fn hashes_bind_the_verification_and_compare() {
        let s = ServerSecret::new(b"k".to_vec());
        let h = s.code_hash("ver_1", "123456");
        assert!(s.code_matches("ver_1", "123456", &h));
        assert!(!s.code_matches("ver_1", "123457", &h));
        assert!(!s.code_matches("ver_2", "123456", &h));
        assert!(!h.contains("123456"));
        assert_eq!(format!("{s:?}"), "ServerSecret(***)");
    }
}
