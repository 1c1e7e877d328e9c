//! The adapter library's own tokio runtime.
//!
//! A `cdylib` carries its own copy of tokio, whose thread-locals know nothing of the
//! host's runtime, so adapter futures run here. One runtime per library, created by the
//! first `create` and shared by every instance of that library; it lives until the
//! process exits (libraries are never unloaded).

use crate::AdapterError;
use std::sync::Mutex;
use tokio::runtime::{Builder, Runtime};

/// Most worker threads per adapter library: adapters wait on the network, they do not
/// compute, and a future that needs no waiting never reaches the runtime at all (it is
/// answered in its inline first poll, see `task`). Two keep one slow poll from delaying
/// every other answer; more would only compete with the host's workers for the cores.
/// Measured on 2 cores with 64 sends in flight, one worker was no faster (see the
/// performance section of `docs/adapters.md`).
const MAX_WORKER_THREADS: usize = 2;

/// Worker threads for this machine: [`MAX_WORKER_THREADS`], or fewer on fewer cores.
fn worker_threads() -> usize {
    std::thread::available_parallelism().map_or(MAX_WORKER_THREADS, |cores| {
        cores.get().clamp(1, MAX_WORKER_THREADS)
    })
}

/// Guarded by a mutex rather than a `OnceLock` race so that a losing runtime is never
/// built and dropped (dropping a runtime inside another runtime's context panics).
static RUNTIME: Mutex<Option<&'static Runtime>> = Mutex::new(None);

/// The library's runtime, created on first use. Called once per instance, not per call.
pub(crate) fn shared() -> Result<&'static Runtime, AdapterError> {
    let mut slot = RUNTIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(rt) = *slot {
        return Ok(rt);
    }
    let rt = Builder::new_multi_thread()
        .worker_threads(worker_threads())
        .thread_name("gateway-adapter")
        .enable_all()
        .build()
        .map_err(|e| AdapterError::Internal {
            message: format!("cannot start the adapter's tokio runtime: {e}"),
        })?;
    // Leaked on purpose: it serves the library until the process exits.
    let rt: &'static Runtime = Box::leak(Box::new(rt));
    *slot = Some(rt);
    Ok(rt)
}
