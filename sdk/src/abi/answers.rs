//! Host-side delivery of answers: a stack slot for synchronous calls, and for
//! asynchronous ones a process-wide table of pending calls keyed by a numeric token
//! (the first answer for a token wins; later or unknown answers are ignored; a dropped
//! waiter removes its token). An answer wakes the awaiting host task directly through a
//! oneshot; when the library answers before its C function returns (see `task`), the
//! oneshot is already full when the host first polls, so no wake-up happens at all.

use super::ffi::{Bytes, Reply, STATUS_OK};
use crate::AdapterError;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::ffi::c_void;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};
use tokio::sync::oneshot;

fn decode_payload<T: DeserializeOwned, E: DeserializeOwned>(
    call: &str,
    status: u32,
    payload: &[u8],
    internal: impl Fn(String) -> E,
) -> Result<T, E> {
    let undecodable = |e: serde_json::Error| internal(format!("undecodable {call} answer: {e}"));
    if status == STATUS_OK {
        serde_json::from_slice(payload).map_err(undecodable)
    } else {
        Err(serde_json::from_slice::<E>(payload).unwrap_or_else(undecodable))
    }
}

fn internal(message: String) -> AdapterError {
    AdapterError::Internal { message }
}

/// Answer slot for synchronous calls, written by [`sync_reply`].
#[derive(Default)]
pub(super) struct SyncSlot {
    answer: Option<(u32, Vec<u8>)>,
}

impl SyncSlot {
    pub(super) fn reply(&mut self) -> Reply {
        Reply {
            ctx: std::ptr::from_mut(self).cast(),
            func: sync_reply,
        }
    }

    pub(super) fn decode<T: DeserializeOwned>(self, call: &str) -> Result<T, AdapterError> {
        self.decode_with(call, internal)
    }

    pub(super) fn decode_with<T: DeserializeOwned, E: DeserializeOwned>(
        self,
        call: &str,
        internal: impl Fn(String) -> E,
    ) -> Result<T, E> {
        match self.answer {
            Some((status, payload)) => decode_payload(call, status, &payload, internal),
            None => Err(internal(format!(
                "adapter returned from {call} without answering"
            ))),
        }
    }
}

unsafe extern "C" fn sync_reply(ctx: *mut c_void, status: u32, payload: Bytes) {
    // SAFETY: `ctx` is the `SyncSlot` of a synchronous call still on the host's stack
    // (sync replies come before the call returns); `payload` is lent for this call.
    let (slot, payload) = unsafe { (&mut *ctx.cast::<SyncSlot>(), payload.as_slice()) };
    if slot.answer.is_none() {
        slot.answer = Some((status, payload.to_vec()));
    }
}

/// An answer as it arrived: status and a copy of the payload.
type Answer = (u32, Vec<u8>);
/// Waiters by token.
type Waiters = HashMap<u64, oneshot::Sender<Answer>>;

/// Pending asynchronous calls, sharded to keep lock hold times short under load.
struct Pending {
    next: AtomicU64,
    shards: [Mutex<Waiters>; SHARDS],
}

const SHARDS: usize = 16;

static PENDING: LazyLock<Pending> = LazyLock::new(|| Pending {
    next: AtomicU64::new(1),
    shards: std::array::from_fn(|_| Mutex::new(HashMap::new())),
});

impl Pending {
    fn shard(&self, token: u64) -> std::sync::MutexGuard<'_, Waiters> {
        let shard = &self.shards[(token % SHARDS as u64) as usize];
        shard
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// One asynchronous call awaiting its answer. Dropping it forgets the token, so a late
/// answer is ignored.
pub(super) struct PendingCall {
    token: u64,
    rx: oneshot::Receiver<Answer>,
    /// Set once the answer arrived: its entry is gone, so `drop` skips the lock.
    answered: bool,
}

impl PendingCall {
    pub(super) fn register() -> Self {
        let token = PENDING.next.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        PENDING.shard(token).insert(token, tx);
        Self {
            token,
            rx,
            answered: false,
        }
    }

    pub(super) fn reply(&self) -> Reply {
        // The token travels as the context pointer's address; it is never dereferenced.
        Reply {
            ctx: std::ptr::without_provenance_mut(self.token as usize),
            func: async_reply,
        }
    }

    pub(super) async fn outcome<T, E>(mut self, call: &str) -> Result<T, E>
    where
        T: DeserializeOwned,
        E: DeserializeOwned + From<AdapterError>,
    {
        match (&mut self.rx).await {
            Ok((status, payload)) => {
                self.answered = true;
                decode_payload(call, status, &payload, |m| internal(m).into())
            }
            Err(_) => Err(internal(format!("adapter lost the {call} completion")).into()),
        }
    }
}

impl Drop for PendingCall {
    fn drop(&mut self) {
        if !self.answered {
            PENDING.shard(self.token).remove(&self.token);
        }
    }
}

unsafe extern "C" fn async_reply(ctx: *mut c_void, status: u32, payload: Bytes) {
    let token = ctx.addr() as u64;
    // Nothing here should panic, but a panic must never unwind into the library.
    let _ = std::panic::catch_unwind(move || {
        let waiter = PENDING.shard(token).remove(&token);
        match waiter {
            // SAFETY: `payload` is lent for this call; it is copied before returning.
            Some(tx) => drop(tx.send((status, unsafe { payload.as_slice() }.to_vec()))),
            None => tracing::debug!(token, "ignored a second or late adapter answer"),
        }
    });
}

/// Delivers `payload` as a library would, through the real synchronous reply function,
/// and decodes it as the host decodes the answer to `call` (`internal` makes the call's
/// error type from a message). Not part of the SDK's API: it exists for the fuzz targets
/// in `tests/fuzz`, because an adapter library controls these bytes.
#[doc(hidden)]
pub fn decode_sync_answer_for_fuzzing<T: DeserializeOwned, E: DeserializeOwned>(
    call: &str,
    status: u32,
    payload: &[u8],
    internal: impl Fn(String) -> E,
) -> Result<T, E> {
    let mut slot = SyncSlot::default();
    let reply = slot.reply();
    // SAFETY: `slot` outlives this call, as for a synchronous answer; `payload` is lent
    // for the call and copied by `sync_reply`.
    unsafe { (reply.func)(reply.ctx, status, Bytes::borrow(payload)) };
    slot.decode_with(call, internal)
}

/// As [`decode_sync_answer_for_fuzzing`], through the asynchronous table of pending
/// calls (`send`, `check_reachable`, `health`).
#[doc(hidden)]
pub fn decode_async_answer_for_fuzzing<T: DeserializeOwned>(
    call: &str,
    status: u32,
    payload: &[u8],
) -> Result<T, AdapterError> {
    let pending = PendingCall::register();
    let reply = pending.reply();
    // SAFETY: the context is a token, never dereferenced; `payload` is lent for the call.
    unsafe { (reply.func)(reply.ctx, status, Bytes::borrow(payload)) };
    // The answer is already in the oneshot, so the future is ready on its first poll.
    futures::executor::block_on(pending.outcome::<T, AdapterError>(call))
}
