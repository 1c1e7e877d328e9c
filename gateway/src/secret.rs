//! The server secret, and what is derived from it: verification codes, the keyed hashes
//! codes are stored as, and the token-signing key.
//!
//! A code is never stored. A verification keeps a random salt drawn from the OS CSPRNG;
//! its code is `HMAC(secret, "code" | salt)` reduced to decimal digits, so a resend can
//! re-derive the very same code without the code ever touching the store, and nobody
//! without the secret can compute it. What is stored for checking is
//! `HMAC(secret, "check" | verification id | code)`, compared in constant time.
//!
//! The secret never lives in the store, beside the salts and hashes it protects: whoever
//! could read the database could otherwise re-derive every live code and sign tokens.
//! It is `verification.secret` (from the environment in production), or else generated
//! once into `<data_dir>/server-secret`, mode 0600, with a warning at every start. A
//! secret that an earlier version kept in the store is moved to that file and deleted
//! from the store, so codes and tokens in flight stay valid across the upgrade. Only a
//! fingerprint (an HMAC of the secret) is stored, so instances sharing one store notice
//! that they hold different secrets instead of refusing each other's codes.

mod keys;

pub use keys::{LEGACY_QUOTA_PREFIX, QuotaKind, StoreKeys, hash_legacy_keys};

use crate::store::{Ns, Store, StoreError};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::Path;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// Bytes of generated secrets and salts.
const SECRET_BYTES: usize = 32;

/// The generated secret's file in the data directory.
pub const SECRET_FILE: &str = "server-secret";

/// Where an earlier version kept the generated secret (`meta`), now only migrated from.
const LEGACY_KEY: &str = "server_secret";

/// The stored fingerprint of the secret in use (`meta`).
const FINGERPRINT_KEY: &str = "server_secret_fingerprint";

/// Why the server secret cannot be loaded; each says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The store could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The secret file could not be read or written.
    #[error("server secret file `{path}`: {message}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The store was used with another secret: another instance sharing it generated
    /// its own, or the data directory was restored without its `server-secret` file.
    #[error(
        "this store was used with a different server secret (another gateway sharing it generated its own, or the \
         data directory lost its server-secret file), so codes could not be checked; set the same verification.secret \
         on every instance, or copy the server-secret file from the data directory that made it \
         (if it is lost, setting verification.secret starts afresh: codes and tokens in flight are then invalid)"
    )]
    Mismatch,
}

/// Reads the secret file, creating it (mode 0600) from `legacy` or fresh random bytes
/// if it does not exist. Concurrent first starts agree: the file is created exclusively
/// and the loser reads the winner's.
fn read_or_create(path: &Path, legacy: Option<&str>) -> Result<Vec<u8>, SecretError> {
    let file_err = |e: std::io::Error| SecretError::File {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(file_err)?;
    }
    let text = legacy
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|| hex::encode(random_bytes()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(mut f) => {
            f.write_all(text.as_bytes())
                .and_then(|()| f.sync_all())
                .map_err(file_err)?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let mode = std::fs::metadata(path)
                .map_err(file_err)?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                tracing::warn!(path = %path.display(), "the server secret file was readable by others; made it 0600");
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                    .map_err(file_err)?;
            }
        }
        Err(e) => return Err(file_err(e)),
    }
    let kept = std::fs::read_to_string(path).map_err(file_err)?;
    let key = hex::decode(kept.trim()).map_err(|e| SecretError::File {
        path: path.display().to_string(),
        message: format!("not hex ({e}); restore it from a backup or delete it to generate a new one (live codes are then lost)"),
    })?;
    if key.len() < 16 {
        return Err(SecretError::File {
            path: path.display().to_string(),
            message: "shorter than 16 bytes".into(),
        });
    }
    Ok(key)
}

/// The gateway's secret key material.
#[derive(Clone)]
pub struct ServerSecret {
    /// The root secret; everything else is derived with domain-separated HMACs.
    key: Vec<u8>,
    /// Hashes store keys that would name a person (derived once, see `keys.rs`).
    store_keys: StoreKeys,
}

impl std::fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerSecret(***)")
    }
}

impl ServerSecret {
    /// Wraps configured key material.
    pub fn new(key: impl Into<Vec<u8>>) -> Self {
        let key = key.into();
        let store_keys = StoreKeys::new(&mac_with(&key, &[b"store-key-hash-key"]));
        Self { key, store_keys }
    }

    /// Hashes the store keys that would otherwise hold a phone or a client IP.
    pub fn store_keys(&self) -> &StoreKeys {
        &self.store_keys
    }

    /// The configured secret, or the generated one in `<data_dir>/server-secret`
    /// (generated on first start, or moved there from the store of an earlier version).
    pub async fn load(
        configured: Option<&str>,
        data_dir: &Path,
        store: &dyn Store,
    ) -> Result<Self, SecretError> {
        let legacy = store.get(Ns::Meta, LEGACY_KEY, 0).await?;
        let secret = match configured {
            Some(s) => Self::new(s.as_bytes().to_vec()),
            None => {
                let path = data_dir.join(SECRET_FILE);
                let secret = Self::new(read_or_create(&path, legacy.as_deref())?);
                tracing::warn!(
                    path = %path.display(),
                    "verification.secret is not set: codes and tokens use the secret generated in this file. \
                     Keep it out of backups of the database, and in production set verification.secret \
                     from the environment (the same on every instance sharing the store)"
                );
                secret
            }
        };
        if legacy.is_some() {
            // Moved to the file (or superseded by the configured secret).
            store.delete(Ns::Meta, LEGACY_KEY, 0).await?;
            tracing::info!("removed the server secret an earlier version kept in the store");
        }
        let fingerprint = hex::encode(secret.mac(&[b"fingerprint"]));
        if configured.is_some() {
            store
                .put(Ns::Meta, FINGERPRINT_KEY, fingerprint, None, 0)
                .await?;
        } else {
            store
                .put_if_absent(Ns::Meta, FINGERPRINT_KEY, fingerprint.clone(), None, 0)
                .await?;
            let kept = store.get(Ns::Meta, FINGERPRINT_KEY, 0).await?;
            if kept.as_deref() != Some(fingerprint.as_str()) {
                return Err(SecretError::Mismatch);
            }
        }
        Ok(secret)
    }

    fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        mac_with(&self.key, parts)
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

    /// The key a message's code and phone are sealed under while a late fallback may
    /// still re-send them (`flows::late`).
    pub fn seal_key(&self) -> [u8; 32] {
        self.mac(&[b"late-fallback-seal-key"])
    }

    /// The key a verification's phone is sealed under in its stored record.
    pub fn phone_seal_key(&self) -> [u8; 32] {
        self.mac(&[b"verification-phone-seal-key"])
    }

    /// The key idempotency fingerprints are made with (so they reveal nothing).
    pub fn fingerprint(&self, parts: &[&[u8]]) -> String {
        let mut all: Vec<&[u8]> = vec![b"idempotency"];
        all.extend_from_slice(parts);
        hex::encode(self.mac(&all))
    }
}

/// HMAC-SHA256 under `key` of the length-prefixed `parts` (domain separation).
fn mac_with(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    for p in parts {
        mac.update(&(p.len() as u64).to_be_bytes());
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
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

    fn store(dir: &Path) -> crate::store::SqliteStore {
        crate::store::SqliteStore::open(dir, std::time::Duration::from_secs(1)).unwrap()
    }

    #[tokio::test]
    async fn a_generated_secret_lives_in_a_private_file_not_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        let first = ServerSecret::load(None, dir.path(), &s).await.unwrap();
        let path = dir.path().join(SECRET_FILE);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(s.get(Ns::Meta, LEGACY_KEY, 0).await.unwrap(), None);
        let again = ServerSecret::load(None, dir.path(), &s).await.unwrap();
        assert_eq!(first.token_key(), again.token_key(), "kept across restarts");
    }

    #[tokio::test]
    async fn a_store_held_secret_moves_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        let old = hex::encode(random_bytes());
        s.put(Ns::Meta, LEGACY_KEY, old.clone(), None, 0)
            .await
            .unwrap();
        let loaded = ServerSecret::load(None, dir.path(), &s).await.unwrap();
        assert_eq!(
            loaded.key,
            hex::decode(&old).unwrap(),
            "codes in flight stay valid"
        );
        assert_eq!(s.get(Ns::Meta, LEGACY_KEY, 0).await.unwrap(), None);
        let file = std::fs::read_to_string(dir.path().join(SECRET_FILE)).unwrap();
        assert_eq!(file.trim(), old);
    }

    #[tokio::test]
    async fn instances_sharing_a_store_must_share_the_secret() {
        let shared = tempfile::tempdir().unwrap();
        let s = store(shared.path());
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        ServerSecret::load(None, a.path(), &s).await.unwrap();
        let err = ServerSecret::load(None, b.path(), &s).await.unwrap_err();
        assert!(matches!(err, SecretError::Mismatch), "{err}");
        // A configured secret is authoritative (and may be rotated).
        ServerSecret::load(Some("configured-secret-0123"), b.path(), &s)
            .await
            .unwrap();
        ServerSecret::load(Some("configured-secret-4567"), b.path(), &s)
            .await
            .unwrap();
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
