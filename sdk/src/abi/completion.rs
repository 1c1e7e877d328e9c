//! The adapter side of a [`Reply`]: a guard that answers exactly once.
//!
//! Consuming `ok`/`err` makes a second answer impossible to write; dropping the guard
//! unanswered (a panic, a cancelled task, a forgotten branch) answers with
//! `AdapterError::Internal`, so the host is never left waiting on a lost completion.

use super::ffi::{Bytes, Reply, STATUS_ERR, STATUS_OK};
use crate::AdapterError;
use serde::Serialize;

/// Answers one call exactly once.
pub(crate) struct Completer {
    /// Where the answer goes; `None` once answered.
    reply: Option<Reply>,
}

// SAFETY: the ABI contract lets asynchronous replies be delivered from any thread;
// synchronous ones never leave the calling thread.
unsafe impl Send for Completer {}

impl Completer {
    /// Wraps the host's reply.
    pub(crate) fn new(reply: Reply) -> Self {
        Self { reply: Some(reply) }
    }

    /// Answers with a successful result.
    pub(crate) fn ok<T: Serialize>(mut self, value: &T) {
        match serde_json::to_vec(value) {
            Ok(bytes) => self.deliver(STATUS_OK, &bytes),
            Err(e) => self.internal(&format!("adapter result could not be encoded: {e}")),
        }
    }

    /// Answers with an error.
    pub(crate) fn err<E: Serialize>(mut self, error: &E) {
        match serde_json::to_vec(error) {
            Ok(bytes) => self.deliver(STATUS_ERR, &bytes),
            Err(e) => self.internal(&format!("adapter error could not be encoded: {e}")),
        }
    }

    fn internal(&mut self, message: &str) {
        let error = AdapterError::Internal {
            message: message.to_owned(),
        };
        let bytes = serde_json::to_vec(&error).unwrap_or_default();
        self.deliver(STATUS_ERR, &bytes);
    }

    fn deliver(&mut self, status: u32, payload: &[u8]) {
        if let Some(reply) = self.reply.take() {
            // SAFETY: `reply` came from the host for this call and is used once (taken
            // out of the Option); `payload` outlives the call, which is all the host
            // may rely on.
            unsafe { (reply.func)(reply.ctx, status, Bytes::borrow(payload)) }
        }
    }
}

impl Drop for Completer {
    fn drop(&mut self) {
        if self.reply.is_some() {
            let why = if std::thread::panicking() {
                "adapter panicked before answering"
            } else {
                "adapter dropped the call without answering"
            };
            self.internal(why);
        }
    }
}

/// A readable message from a panic payload.
pub(crate) fn panic_message(call: &str, payload: &(dyn std::any::Any + Send)) -> String {
    let detail = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_owned());
    format!("adapter panicked in {call}: {detail}")
}
