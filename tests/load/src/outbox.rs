//! Reads codes from the mock adapter's JSONL outbox (what a phone would have received),
//! so the flow driver can complete verifications the way a person would: create,
//! read the SMS, type the code back.
//!
//! The mock appends a line before it answers the send, so by the time
//! `POST /v1/verifications` has answered, the line is in the file. One reader is
//! shared by every driver task: whoever misses a message id reads the new part of the
//! file and files every line it finds by message id.

use serde::Deserialize;
use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::Mutex;

/// The outbox fields the driver needs.
#[derive(Deserialize)]
struct Line {
    /// The gateway's message id.
    message_id: String,
    /// The code that was sent.
    code: String,
}

/// Codes by message id, filled from the file on demand.
pub struct OutboxReader {
    inner: Mutex<Inner>,
}

struct Inner {
    file: File,
    /// Bytes after the last complete line.
    partial: Vec<u8>,
    /// Codes read but not yet claimed.
    codes: HashMap<String, String>,
}

impl OutboxReader {
    /// Opens the outbox (it must exist: the gateway creates it on start).
    pub fn open(path: &Path) -> std::io::Result<Self> {
        Ok(Self {
            inner: Mutex::new(Inner {
                file: File::open(path)?,
                partial: Vec::new(),
                codes: HashMap::new(),
            }),
        })
    }

    /// The code sent in message `message_id`, claimed once; `None` if it is not in
    /// the file yet.
    pub fn take(&self, message_id: &str) -> Option<String> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(code) = inner.codes.remove(message_id) {
            return Some(code);
        }
        inner.read_new();
        inner.codes.remove(message_id)
    }
}

impl Inner {
    fn read_new(&mut self) {
        let mut fresh = Vec::new();
        if self.file.read_to_end(&mut fresh).is_err() {
            return;
        }
        self.partial.extend_from_slice(&fresh);
        let Some(end) = self.partial.iter().rposition(|b| *b == b'\n') else {
            return;
        };
        let complete: Vec<u8> = self.partial.drain(..=end).collect();
        for raw in complete.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            if let Ok(line) = serde_json::from_slice::<Line>(raw) {
                self.codes.insert(line.message_id, line.code);
            }
        }
    }
}
