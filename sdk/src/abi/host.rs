//! The host side of the table: safe calls into an adapter library.
//!
//! [`LibraryApi`] validates a table (version, size, strings) once; [`AbiInstance`]
//! owns one instance handle and turns each asynchronous call into a future. Answers of
//! asynchronous calls are routed by a numeric token through a process-wide table of
//! pending calls: the first answer for a token is delivered, any later one (a buggy
//! library answering twice, or an answer after the host gave up at its deadline) finds
//! no entry and is ignored, and a future that is dropped removes its entry. Deadlines are
//! not applied here; the gateway wraps every call in its own timeout.

use super::answers::{PendingCall, SyncSlot};
use super::export::{api_for, into_handle};
use super::ffi::{
    ABI_VERSION, AdapterApi, BASE_TABLE_SIZE, Bytes, CreateArgs, ReportSink, STATUS_ERR, STATUS_OK,
    has_report_sink,
};
use crate::{
    Adapter, AdapterError, CallbackError, CallbackOutcome, CallbackRequest, Capabilities,
    CreateContext, Health, Reachability, SendRequest, SendResult, StatusUpdate,
};
use std::ffi::c_void;
use std::future::Future;

mod log;

pub(super) use log::host_log;
use log::{host_log_level, leak_log_sink};

/// Why a library's function table cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    /// The entry function returned null: the library is broken; rebuild it.
    #[error("the entry function returned no table")]
    Null,
    /// The table speaks another ABI version: rebuild the adapter against this SDK.
    #[error("the table has ABI version {found}, expected {expected}")]
    Version {
        /// Version in the table.
        found: u32,
        /// Version this host speaks.
        expected: u32,
    },
    /// The table is shorter than this ABI version requires: rebuild the adapter.
    #[error("the table is {found} bytes, at least {expected} are required")]
    TooSmall {
        /// Size the table declares.
        found: usize,
        /// Size this host needs.
        expected: usize,
    },
    /// A name field is not UTF-8: the library is broken; rebuild it.
    #[error("the table's {0} field is not UTF-8")]
    BadString(&'static str),
}

/// A validated function table (from a loaded library, or built in-process).
#[derive(Debug, Clone, Copy)]
pub struct LibraryApi {
    table: &'static AdapterApi,
    /// The table's declared size: which appended fields it has.
    size: usize,
    kind: &'static str,
    adapter_version: &'static str,
    sdk_version: &'static str,
}

fn static_str(bytes: Bytes, field: &'static str) -> Result<&'static str, TableError> {
    // SAFETY: table strings are static per the ABI contract (checked by the caller of
    // `from_raw`).
    let slice: &'static [u8] = unsafe { bytes.as_slice() };
    std::str::from_utf8(slice).map_err(|_| TableError::BadString(field))
}

impl LibraryApi {
    /// Validates the table an entry function returned.
    ///
    /// # Safety
    /// `table` must be null or point to an [`AdapterApi`] that honours the ABI contract
    /// (immutable, living for the rest of the process), and the library's
    /// [`ABI_VERSION`] symbol must already have been checked.
    pub unsafe fn from_raw(table: *const AdapterApi) -> Result<Self, TableError> {
        if table.is_null() {
            return Err(TableError::Null);
        }
        // `size` and `version` lead the struct in every ABI version, so reading them is
        // sound even for a table of another layout.
        // SAFETY: non-null and valid per the caller's guarantee.
        let (size, version) = unsafe { ((*table).size, (*table).version) };
        if version != ABI_VERSION {
            return Err(TableError::Version {
                found: version,
                expected: ABI_VERSION,
            });
        }
        if size < BASE_TABLE_SIZE {
            return Err(TableError::TooSmall {
                found: size,
                expected: BASE_TABLE_SIZE,
            });
        }
        // SAFETY: version matches and size covers the base table, so the fields up to
        // `health` are ours and live for the rest of the process; appended fields are
        // read only where `size` covers them (`has_report_sink`).
        let table: &'static AdapterApi = unsafe { &*table };
        Ok(Self {
            table,
            size,
            kind: static_str(table.kind, "kind")?,
            adapter_version: static_str(table.adapter_version, "adapter_version")?,
            sdk_version: static_str(table.sdk_version, "sdk_version")?,
        })
    }

    /// The table for an adapter type compiled into this process.
    pub fn of<A: Adapter>() -> Self {
        let table: &'static AdapterApi = &const { api_for::<A>() };
        // SAFETY: a table built by this SDK honours the contract and is static.
        unsafe { Self::from_raw(table) }.expect("a table built by this SDK is valid")
    }

    /// `Adapter::KIND`.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// `Adapter::VERSION`.
    pub fn adapter_version(&self) -> &'static str {
        self.adapter_version
    }

    /// The SDK version the library was built with.
    pub fn sdk_version(&self) -> &'static str {
        self.sdk_version
    }

    /// Whether the library can push status updates (its table has `set_report_sink`;
    /// libraries built before that field was appended cannot).
    pub fn supports_reports(&self) -> bool {
        has_report_sink(self.size)
    }

    /// The table's ABI version (always [`ABI_VERSION`] once validated).
    pub fn abi_version(&self) -> u32 {
        self.table.version
    }

    /// Creates an instance. `settings` is its config table; log lines are re-emitted in
    /// the host's tracing with `adapter = context.instance`.
    pub fn create(
        &self,
        settings: serde_json::Value,
        context: CreateContext,
    ) -> Result<AbiInstance, AdapterError> {
        let log = leak_log_sink(&context.instance);
        let name = context.instance.clone();
        let args = CreateArgs {
            settings,
            context,
            log_level: host_log_level(),
        };
        let args = serde_json::to_vec(&args).map_err(|e| AdapterError::Internal {
            message: format!("cannot encode create arguments: {e}"),
        })?;
        let mut slot = SyncSlot::default();
        // SAFETY: `args` and `slot` outlive this synchronous call; `log` is leaked.
        let handle = unsafe { (self.table.create)(Bytes::borrow(&args), log, slot.reply()) };
        let caps: Result<Capabilities, AdapterError> = slot.decode("create");
        match (handle.is_null(), caps) {
            (false, Ok(capabilities)) => Ok(AbiInstance {
                api: *self,
                handle,
                capabilities,
                name,
                reports: None,
            }),
            (true, Err(e)) => Err(e),
            (false, Err(e)) => {
                // SAFETY: a handle from `create`, destroyed once, with no call running.
                unsafe { (self.table.destroy)(handle) };
                Err(e)
            }
            (true, Ok(_)) => Err(AdapterError::Internal {
                message: "create answered success but returned no instance".into(),
            }),
        }
    }
}

/// One adapter instance behind the C ABI. Dropping it destroys the instance.
#[derive(Debug)]
pub struct AbiInstance {
    api: LibraryApi,
    /// Opaque handle from `create`; only ever passed back to the same table.
    handle: *mut c_void,
    capabilities: Capabilities,
    name: String,
    /// The receiver handed to `set_report_sink`, freed after `destroy`.
    reports: Option<*mut HostReports>,
}

/// What a pushed batch of updates is handed to; returns whether it was taken.
type HostReports = Box<dyn Fn(Vec<StatusUpdate>) -> bool + Send + Sync>;

// SAFETY: the handle is only passed back to the table, whose functions are thread-safe
// for a live handle (the SDK side is `Arc<A>` with `A: Send + Sync`).
unsafe impl Send for AbiInstance {}
// SAFETY: as for `Send`; `&self` methods only pass the handle to thread-safe functions.
unsafe impl Sync for AbiInstance {}

impl AbiInstance {
    /// Wraps an adapter built in this process, driving it through the real table
    /// (conformance tests, benchmarks).
    pub fn in_process<A: Adapter>(adapter: A, name: &str) -> Result<Self, AdapterError> {
        let capabilities = adapter.capabilities();
        let handle = into_handle(adapter, leak_log_sink(name), host_log_level())?;
        Ok(Self {
            api: LibraryApi::of::<A>(),
            handle,
            capabilities,
            name: name.to_owned(),
            reports: None,
        })
    }

    /// Connects the status updates the instance pushes (see [`crate::Reports`]) to
    /// `receiver`, which returns whether it took them (the adapter then acknowledges
    /// them to its provider). Returns `false`, and does nothing, when the library
    /// predates the push extension. Call it once, before sending.
    pub fn set_report_sink(
        &mut self,
        receiver: impl Fn(Vec<StatusUpdate>) -> bool + Send + Sync + 'static,
    ) -> bool {
        if !self.api.supports_reports() || self.reports.is_some() {
            return false;
        }
        let ctx: *mut HostReports = Box::into_raw(Box::new(Box::new(receiver)));
        self.reports = Some(ctx);
        let sink = ReportSink {
            ctx: ctx.cast_const().cast(),
            func: host_report,
        };
        // SAFETY: live handle; `size` covers the field (checked above); `ctx` stays
        // valid until after `destroy` (freed in `Drop`).
        unsafe { (self.api.table.set_report_sink)(self.handle, sink) };
        true
    }

    /// The table this instance belongs to.
    pub fn api(&self) -> &LibraryApi {
        &self.api
    }

    /// The instance name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Capabilities reported at creation.
    pub fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    /// Asks the instance for its capabilities again.
    pub fn refresh_capabilities(&self) -> Result<Capabilities, AdapterError> {
        let mut slot = SyncSlot::default();
        // SAFETY: live handle; `slot` outlives this synchronous call.
        unsafe { (self.api.table.capabilities)(self.handle, slot.reply()) };
        slot.decode("capabilities")
    }

    /// Sends one message. The future does not borrow `self`.
    pub fn send(
        &self,
        request: &SendRequest,
    ) -> impl Future<Output = Result<SendResult, AdapterError>> + Send + 'static + use<> {
        let encoded = serde_json::to_vec(request);
        let call = encoded.map(|bytes| {
            let call = PendingCall::register();
            // SAFETY: live handle; `bytes` outlives this call (the adapter copies it).
            unsafe { (self.api.table.send)(self.handle, Bytes::borrow(&bytes), call.reply()) };
            call
        });
        async move {
            let call = call.map_err(|e| AdapterError::Internal {
                message: format!("cannot encode send request: {e}"),
            })?;
            call.outcome::<SendResult, AdapterError>("send").await
        }
    }

    /// Checks whether `phone` is reachable on this channel.
    pub fn check_reachable(
        &self,
        phone: &str,
    ) -> impl Future<Output = Result<Reachability, AdapterError>> + Send + 'static + use<> {
        let bytes = serde_json::to_vec(phone).unwrap_or_default();
        let call = PendingCall::register();
        // SAFETY: live handle; `bytes` outlives this call.
        unsafe {
            (self.api.table.check_reachable)(self.handle, Bytes::borrow(&bytes), call.reply())
        };
        async move {
            call.outcome::<Reachability, AdapterError>("check_reachable")
                .await
        }
    }

    /// Verifies and parses a provider callback.
    pub fn parse_callback(
        &self,
        request: &CallbackRequest,
    ) -> Result<CallbackOutcome, CallbackError> {
        let bytes = serde_json::to_vec(request).map_err(|e| CallbackError::Internal {
            message: format!("cannot encode callback request: {e}"),
        })?;
        let mut slot = SyncSlot::default();
        // SAFETY: live handle; `bytes` and `slot` outlive this synchronous call.
        unsafe {
            (self.api.table.parse_callback)(self.handle, Bytes::borrow(&bytes), slot.reply())
        };
        slot.decode_with("parse_callback", |m| CallbackError::Internal { message: m })
    }

    /// The instance's health; a failed call reads as down.
    pub fn health(&self) -> impl Future<Output = Health> + Send + 'static + use<> {
        let call = PendingCall::register();
        // SAFETY: live handle.
        unsafe { (self.api.table.health)(self.handle, call.reply()) };
        async move {
            match call.outcome::<Health, AdapterError>("health").await {
                Ok(health) => health,
                Err(e) => Health::down(e.to_string()),
            }
        }
    }
}

impl Drop for AbiInstance {
    fn drop(&mut self) {
        // SAFETY: `&mut self` proves no call on this handle is executing; destroyed once.
        unsafe { (self.api.table.destroy)(self.handle) };
        if let Some(ctx) = self.reports.take() {
            // SAFETY: made by `Box::into_raw` in `set_report_sink`; the library stops
            // calling the sink before `destroy` returns (ABI contract).
            drop(unsafe { Box::from_raw(ctx) });
        }
    }
}

unsafe extern "C" fn host_report(ctx: *const c_void, payload: Bytes) -> u32 {
    // SAFETY: `ctx` is the `HostReports` of a live instance (freed only after `destroy`);
    // `payload` is lent for this call.
    let (receiver, payload) = unsafe { (&*ctx.cast::<HostReports>(), payload.as_slice()) };
    let Ok(updates) = serde_json::from_slice::<Vec<StatusUpdate>>(payload) else {
        tracing::warn!("an adapter pushed undecodable status updates; refused");
        return STATUS_ERR;
    };
    // A panicking receiver must not unwind into the library.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| receiver(updates))) {
        Ok(true) => STATUS_OK,
        _ => STATUS_ERR,
    }
}
