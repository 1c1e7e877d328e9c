//! The JSONL outbox: one line per accepted message, so tests and the quick start can
//! read what was "sent" (including the code: this is a test double, not a provider).
//!
//! Each line is serialized whole and written with a single `write_all` on a file
//! opened for append, under a mutex: concurrent sends of this instance never interleave,
//! and with `O_APPEND` neither do other instances sharing the file. Writes are small
//! and local, so they are done inline rather than on a blocking pool.

use serde::Serialize;
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// One outbox line.
#[derive(Debug, Serialize)]
pub struct OutboxLine<'a> {
    /// Recipient (E.164).
    pub to: &'a str,
    /// The rendered text.
    pub text: &'a str,
    /// The bare code.
    pub code: &'a str,
    /// The channel the instance reports.
    pub channel: &'a str,
    /// When it was accepted (RFC 3339).
    pub at: String,
    /// The gateway's idempotency key.
    pub idempotency_key: &'a str,
    /// The gateway's message id.
    pub message_id: &'a str,
    /// The id the mock returned, for delivery reports.
    pub provider_message_id: &'a str,
}

/// An append-only JSONL file.
#[derive(Debug)]
pub struct Outbox {
    path: PathBuf,
    file: Mutex<File>,
}

impl Outbox {
    /// Opens (creating it and its directory if needed) the outbox at `path`.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Self {
            path: path.to_path_buf(),
            file: Mutex::new(file),
        })
    }

    /// Where the outbox is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line atomically.
    pub fn append(&self, line: &OutboxLine<'_>) -> std::io::Result<()> {
        let mut bytes = serde_json::to_vec(line)?;
        bytes.push(b'\n');
        let mut file = self
            .file
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        file.write_all(&bytes)
    }
}
