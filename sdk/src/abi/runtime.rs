//! The adapter library's own tokio runtime.
//!
//! A `cdylib` carries its own copy of tokio, whose thread-locals know nothing of the
//! host's runtime, so adapter futures run here. One runtime per library, created by the
//! first `create` and shared by every instance of that library; it lives until the
//! process exits (libraries are never unloaded).

use crate::AdapterError;
use std::sync::Mutex;
use tokio::runtime::{Builder, Runtime};

/// Worker threads per adapter library: adapters wait on the network, they do not compute.
const WORKER_THREADS: usize = 2;

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
        .worker_threads(WORKER_THREADS)
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
