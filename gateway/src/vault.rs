//! Secrets the gateway keeps for others (provider credentials of connections), encrypted
//! at rest under a key that never lives in the store.
//!
//! The cipher is XChaCha20-Poly1305 (RustCrypto's `chacha20poly1305`): an AEAD, so a
//! changed or swapped ciphertext fails to open instead of yielding garbage, and its
//! 192-bit nonces are safe to draw at random for every seal. Each sealed value names the
//! key it was sealed with (`v1:<key id>:<base64 nonce‖ciphertext>`), so keys rotate: the
//! newest configured key seals, every configured key opens, and `gateway rotate-secrets`
//! re-seals what an older key sealed. The caller binds each value to where it belongs
//! (the associated data, e.g. the connection id), so a ciphertext copied onto another
//! record does not open there.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use gateway_sdk::Secret;
use rand::RngCore as _;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// Format tag at the start of every sealed value.
const FORMAT: &str = "v1";
/// XChaCha20 nonce length.
const NONCE_LEN: usize = 24;

/// `[secrets]`: the keys provider secrets are encrypted under.
///
/// ```toml
/// [secrets]
/// key = { env = "GATEWAY_SECRETS_KEY" }   # or GATEWAY__SECRETS__KEY=...
/// previous_keys = []                       # older keys, still accepted for reading
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecretsConfig {
    /// The current key: 32 random bytes, base64 (`openssl rand -base64 32`) or 64 hex
    /// digits. New secrets are sealed with it. `GATEWAY__SECRETS__KEY` sets it.
    pub key: Option<Secret>,
    /// A file holding keys instead, one per line, newest first (blank lines and `#`
    /// comments are skipped). The first is the current key, the rest are previous keys.
    pub key_file: Option<PathBuf>,
    /// Older keys, accepted for reading only, until `gateway rotate-secrets` has
    /// re-sealed everything under the current key; then remove them.
    pub previous_keys: Vec<Secret>,
}

/// Why a secret could not be sealed or opened, or the keys could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The `[secrets]` configuration is unusable: fix the named setting.
    #[error("[secrets] {0}")]
    Config(String),
    /// The value was sealed with a key that is not configured: add it to
    /// `secrets.previous_keys` (or restore it), then run `gateway rotate-secrets`.
    #[error("sealed with key `{0}`, which is not configured; add it to secrets.previous_keys")]
    UnknownKey(String),
    /// The value does not open under its key: it was altered, or belongs elsewhere.
    #[error("sealed value does not verify (altered, or copied from another record)")]
    Tampered,
    /// The value is not in the sealed format at all.
    #[error("value is not a sealed secret")]
    Malformed,
}

/// One key and its id.
struct Key {
    /// Short, stable id written into every value it seals (not secret: derived one-way).
    id: String,
    cipher: XChaCha20Poly1305,
}

/// The configured keys; the first seals, all open.
pub struct Vault {
    keys: Vec<Key>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field(
                "key_ids",
                &self.keys.iter().map(|k| &k.id).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// The id of a key: the first 4 bytes of a domain-separated SHA-256, in hex.
fn key_id(key: &[u8]) -> String {
    let digest = Sha256::new()
        .chain_update(b"gateway secrets key id\0")
        .chain_update(key)
        .finalize();
    hex::encode(&digest[..4])
}

/// Decodes a key written as base64 or hex; it must be exactly 32 bytes.
fn decode_key(setting: &str, text: &str) -> Result<Vec<u8>, VaultError> {
    let text = text.trim();
    let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode(text).ok()
    } else {
        BASE64.decode(text).ok()
    };
    match bytes {
        Some(b) if b.len() == 32 => Ok(b),
        _ => Err(VaultError::Config(format!(
            "`{setting}` must be 32 random bytes as base64 (`openssl rand -base64 32`) or 64 hex digits"
        ))),
    }
}

impl Vault {
    /// A vault of these raw keys, newest first.
    pub fn new(keys: &[Vec<u8>]) -> Result<Self, VaultError> {
        if keys.is_empty() {
            return Err(VaultError::Config("no key given".into()));
        }
        let mut out: Vec<Key> = Vec::with_capacity(keys.len());
        for k in keys {
            let cipher = XChaCha20Poly1305::new_from_slice(k)
                .map_err(|_| VaultError::Config("keys must be 32 bytes".into()))?;
            let id = key_id(k);
            if !out.iter().any(|o| o.id == id) {
                out.push(Key { id, cipher });
            }
        }
        Ok(Self { keys: out })
    }

    /// The vault `[secrets]` describes, or `None` when no key is configured.
    pub fn from_config(cfg: &SecretsConfig) -> Result<Option<Self>, VaultError> {
        let mut keys = Vec::new();
        if let Some(key) = &cfg.key {
            keys.push(decode_key("secrets.key", key.expose())?);
        }
        if let Some(path) = &cfg.key_file {
            let text = std::fs::read_to_string(path).map_err(|e| {
                VaultError::Config(format!(
                    "`secrets.key_file` {} cannot be read: {e}",
                    path.display()
                ))
            })?;
            for line in text.lines().map(str::trim) {
                if !line.is_empty() && !line.starts_with('#') {
                    keys.push(decode_key("secrets.key_file", line)?);
                }
            }
        }
        if keys.is_empty() && !cfg.previous_keys.is_empty() {
            return Err(VaultError::Config(
                "`previous_keys` is set but there is no current `key` or `key_file`".into(),
            ));
        }
        for (i, key) in cfg.previous_keys.iter().enumerate() {
            keys.push(decode_key(
                &format!("secrets.previous_keys[{i}]"),
                key.expose(),
            )?);
        }
        if keys.is_empty() {
            return Ok(None);
        }
        Self::new(&keys).map(Some)
    }

    /// The id of the key that seals.
    pub fn current_key_id(&self) -> &str {
        &self.keys[0].id
    }

    /// Seals `plaintext`, bound to `aad` (where it belongs), under the current key.
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> String {
        let key = &self.keys[0];
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = key
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            // Encryption fails only for messages beyond ~256 GiB.
            .expect("XChaCha20-Poly1305 seals any realistic message");
        let mut body = Vec::with_capacity(NONCE_LEN + sealed.len());
        body.extend_from_slice(&nonce);
        body.extend_from_slice(&sealed);
        format!("{FORMAT}:{}:{}", key.id, BASE64.encode(body))
    }

    /// Opens a sealed value bound to `aad`.
    pub fn open(&self, sealed: &str, aad: &[u8]) -> Result<Vec<u8>, VaultError> {
        let (id, body) = parse(sealed)?;
        let key = self
            .keys
            .iter()
            .find(|k| k.id == id)
            .ok_or_else(|| VaultError::UnknownKey(id.to_owned()))?;
        let body = BASE64.decode(body).map_err(|_| VaultError::Malformed)?;
        if body.len() < NONCE_LEN {
            return Err(VaultError::Malformed);
        }
        let (nonce, ciphertext) = body.split_at(NONCE_LEN);
        key.cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad,
                },
            )
            .map_err(|_| VaultError::Tampered)
    }

    /// Whether `sealed` was sealed with an older key (and should be re-sealed).
    pub fn is_stale(&self, sealed: &str) -> bool {
        parse(sealed).is_ok_and(|(id, _)| id != self.current_key_id())
    }
}

/// Splits `v1:<id>:<body>`.
fn parse(sealed: &str) -> Result<(&str, &str), VaultError> {
    let mut parts = sealed.splitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(FORMAT), Some(id), Some(body)) if !id.is_empty() => Ok((id, body)),
        _ => Err(VaultError::Malformed),
    }
}

#[cfg(test)]
mod tests;
