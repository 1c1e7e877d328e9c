//! The adapter side of the table: generic `extern "C"` functions over an [`Adapter`].
//!
//! [`api_for`] builds the [`AdapterApi`] for a type at compile time; the
//! [`export_adapter!`](crate::export_adapter) macro puts it behind the library's entry
//! symbol. Every function catches panics (a panic may not unwind through `extern "C"`,
//! it would abort the gateway), runs adapter code with the instance's log forwarder
//! current, and answers through a [`Completer`] so each call is answered exactly once.
//! Asynchronous calls go through [`task::run`], which answers before returning when the
//! adapter's future needs no waiting.

use super::completion::{Completer, panic_message};
use super::ffi::{
    ABI_VERSION, AdapterApi, Bytes, CreateArgs, LogSink, Reply, ReportSink, STATUS_OK,
};
use super::{logging, runtime, task};
use crate::{Adapter, AdapterError, CallbackRequest, Health, Reports, SendRequest, StatusUpdate};
use serde::Serialize;
use std::ffi::c_void;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use tokio::runtime::Runtime;
use tracing::Dispatch;

/// The SDK-side state behind an instance handle.
pub(crate) struct Instance<A> {
    /// Shared with in-flight calls, so `destroy` never frees what a task still uses.
    adapter: Arc<A>,
    /// The instance's log forwarder.
    dispatch: Dispatch,
    /// The library's runtime.
    runtime: &'static Runtime,
    /// The instance's pushed status updates; connected by `set_report_sink`,
    /// disconnected by `destroy`.
    reports: Reports,
}

/// The function table for adapter type `A`, evaluated at compile time.
pub const fn api_for<A: Adapter>() -> AdapterApi {
    AdapterApi {
        size: size_of::<AdapterApi>(),
        version: ABI_VERSION,
        kind: Bytes::borrow(A::KIND.as_bytes()),
        adapter_version: Bytes::borrow(A::VERSION.as_bytes()),
        sdk_version: Bytes::borrow(crate::SDK_VERSION.as_bytes()),
        create: create::<A>,
        destroy: destroy::<A>,
        capabilities: capabilities::<A>,
        send: send::<A>,
        check_reachable: check_reachable::<A>,
        parse_callback: parse_callback::<A>,
        health: health::<A>,
        set_report_sink: set_report_sink::<A>,
    }
}

/// Boxes an already built adapter as an instance handle (used for in-process tests
/// that still go through the table).
pub(crate) fn into_handle<A: Adapter>(
    adapter: A,
    log: LogSink,
    log_level: u32,
) -> Result<*mut c_void, AdapterError> {
    let reports = Reports::detached();
    adapter.attach_reports(reports.clone());
    let instance = Instance {
        adapter: Arc::new(adapter),
        dispatch: logging::dispatch(log, log_level),
        runtime: runtime::shared()?,
        reports,
    };
    Ok(Box::into_raw(Box::new(instance)).cast())
}

fn decode<T: serde::de::DeserializeOwned>(bytes: Bytes, what: &str) -> Result<T, AdapterError> {
    // SAFETY: the host lends `bytes` for the duration of the current call.
    let slice = unsafe { bytes.as_slice() };
    serde_json::from_slice(slice).map_err(|e| AdapterError::Internal {
        message: format!("adapter could not decode the host's {what}: {e}"),
    })
}

/// # Safety
/// `instance` must be a live handle made for `A` (ABI contract).
unsafe fn instance<'a, A>(handle: *const c_void) -> &'a Instance<A> {
    // SAFETY: guaranteed by the caller.
    unsafe { &*handle.cast::<Instance<A>>() }
}

impl<A: Adapter> Instance<A> {
    /// Runs `fut` (see [`task::run`]: inline first poll, then the library runtime) and
    /// answers `completer` with its outcome; a panic inside it becomes
    /// `AdapterError::Internal`.
    fn spawn<T, E, F>(&self, call: &'static str, completer: Completer, fut: F)
    where
        T: Serialize,
        E: Serialize,
        F: Future<Output = Result<T, E>> + Send + 'static,
    {
        task::run(self.runtime, &self.dispatch, call, completer, fut);
    }
}

/// Panics inside an adapter call are caught and answered to the host as `Internal`
/// errors, which the host logs in its own format with phones masked; the default hook
/// would also print them raw to stderr. So while an instance's call runs (its log
/// dispatch is current) the hook stays quiet; any other panic goes to the hook that was
/// there before (in a test sharing the host's std, the test's own).
fn quiet_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_call = tracing::dispatcher::get_default(|d| d.is::<logging::Forwarder>());
            if !in_call {
                previous(info);
            }
        }));
    });
}

unsafe extern "C" fn create<A: Adapter>(args: Bytes, log: LogSink, reply: Reply) -> *mut c_void {
    quiet_panics();
    let completer = Completer::new(reply);
    let built = catch_unwind(AssertUnwindSafe(|| -> Result<_, AdapterError> {
        let args: CreateArgs = decode(args, "create arguments")?;
        let runtime = runtime::shared()?;
        let dispatch = logging::dispatch(log, args.log_level);
        let _entered = runtime.enter();
        let reports = Reports::detached();
        let adapter = tracing::dispatcher::with_default(&dispatch, || {
            let adapter = A::create(args.settings, args.context)?;
            adapter.attach_reports(reports.clone());
            Ok::<A, AdapterError>(adapter)
        })?;
        let caps = adapter.capabilities();
        Ok((
            Instance {
                adapter: Arc::new(adapter),
                dispatch,
                runtime,
                reports,
            },
            caps,
        ))
    }));
    match built {
        Ok(Ok((instance, caps))) => {
            completer.ok(&caps);
            Box::into_raw(Box::new(instance)).cast()
        }
        Ok(Err(error)) => {
            completer.err(&error);
            std::ptr::null_mut()
        }
        Err(payload) => {
            completer.err(&AdapterError::Internal {
                message: panic_message("create", &*payload),
            });
            std::ptr::null_mut()
        }
    }
}

unsafe extern "C" fn destroy<A: Adapter>(handle: *mut c_void) {
    if handle.is_null() {
        return;
    }
    // SAFETY: the host passes a handle from `create`/`into_handle` for `A`, once.
    let instance = unsafe { Box::from_raw(handle.cast::<Instance<A>>()) };
    let _ = catch_unwind(AssertUnwindSafe(move || {
        // No push reaches the host's sink once this returns (the contract lets the host
        // free it then), even from tasks of the adapter that outlive the instance.
        instance.reports.detach();
        drop(instance)
    }));
}

unsafe extern "C" fn capabilities<A: Adapter>(handle: *const c_void, reply: Reply) {
    let completer = Completer::new(reply);
    let _ = catch_unwind(AssertUnwindSafe(move || {
        // SAFETY: the host passes a live handle for `A`.
        let inst = unsafe { instance::<A>(handle) };
        let caps =
            tracing::dispatcher::with_default(&inst.dispatch, || inst.adapter.capabilities());
        completer.ok(&caps);
    }));
}

unsafe extern "C" fn send<A: Adapter>(handle: *const c_void, request: Bytes, reply: Reply) {
    let completer = Completer::new(reply);
    let _ = catch_unwind(AssertUnwindSafe(move || {
        // SAFETY: the host passes a live handle for `A`.
        let inst = unsafe { instance::<A>(handle) };
        let request: SendRequest = match decode(request, "send request") {
            Ok(r) => r,
            Err(e) => return completer.err(&e),
        };
        let adapter = Arc::clone(&inst.adapter);
        inst.spawn(
            "send",
            completer,
            async move { adapter.send(request).await },
        );
    }));
}

unsafe extern "C" fn check_reachable<A: Adapter>(
    handle: *const c_void,
    phone: Bytes,
    reply: Reply,
) {
    let completer = Completer::new(reply);
    let _ = catch_unwind(AssertUnwindSafe(move || {
        // SAFETY: the host passes a live handle for `A`.
        let inst = unsafe { instance::<A>(handle) };
        let phone: String = match decode(phone, "phone") {
            Ok(p) => p,
            Err(e) => return completer.err(&e),
        };
        let adapter = Arc::clone(&inst.adapter);
        inst.spawn("check_reachable", completer, async move {
            adapter.check_reachable(&phone).await
        });
    }));
}

unsafe extern "C" fn parse_callback<A: Adapter>(
    handle: *const c_void,
    request: Bytes,
    reply: Reply,
) {
    let completer = Completer::new(reply);
    let _ = catch_unwind(AssertUnwindSafe(move || {
        // SAFETY: the host passes a live handle for `A`.
        let inst = unsafe { instance::<A>(handle) };
        let request: CallbackRequest = match decode(request, "callback request") {
            Ok(r) => r,
            Err(e) => {
                return completer.err(&crate::CallbackError::Internal {
                    message: e.to_string(),
                });
            }
        };
        let _entered = inst.runtime.enter();
        let parsed = catch_unwind(AssertUnwindSafe(|| {
            tracing::dispatcher::with_default(&inst.dispatch, || {
                inst.adapter.parse_callback(&request)
            })
        }));
        match parsed {
            Ok(Ok(outcome)) => completer.ok(&outcome),
            Ok(Err(error)) => completer.err(&error),
            Err(payload) => completer.err(&crate::CallbackError::Internal {
                message: panic_message("parse_callback", &*payload),
            }),
        }
    }));
}

unsafe extern "C" fn health<A: Adapter>(handle: *const c_void, reply: Reply) {
    let completer = Completer::new(reply);
    let _ = catch_unwind(AssertUnwindSafe(move || {
        // SAFETY: the host passes a live handle for `A`.
        let inst = unsafe { instance::<A>(handle) };
        let adapter = Arc::clone(&inst.adapter);
        inst.spawn("health", completer, async move {
            Ok::<Health, AdapterError>(adapter.health().await)
        });
    }));
}

unsafe extern "C" fn set_report_sink<A: Adapter>(handle: *const c_void, sink: ReportSink) {
    let _ = catch_unwind(AssertUnwindSafe(move || {
        // SAFETY: the host passes a live handle for `A`.
        let inst = unsafe { instance::<A>(handle) };
        inst.reports
            .attach(Box::new(move |updates: &[StatusUpdate]| {
                let Ok(bytes) = serde_json::to_vec(updates) else {
                    return false;
                };
                let sink: &ReportSink = &sink;
                // SAFETY: the host keeps `sink` valid until `destroy` returns, and `destroy`
                // detaches this closure (waiting for running pushes) before it returns.
                unsafe { (sink.func)(sink.ctx, Bytes::borrow(&bytes)) == STATUS_OK }
            }));
    }));
}
