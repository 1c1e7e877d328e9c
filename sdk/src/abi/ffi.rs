//! The `#[repr(C)]` types that cross the boundary, and the contract that governs them.

use crate::CreateContext;
use serde::{Deserialize, Serialize};
use std::ffi::c_void;

/// The ABI version this SDK speaks. A library whose exported
/// [`GATEWAY_ADAPTER_ABI_VERSION`](ABI_VERSION_SYMBOL) differs is refused by the gateway
/// before any of its code runs. Bumped only for a breaking change of [`AdapterApi`] or of
/// the call protocol; additive changes append fields to the table instead.
pub const ABI_VERSION: u32 = 1;

/// Name of the exported `u32` static holding the library's ABI version (NUL-terminated,
/// as `dlsym` wants it).
pub const ABI_VERSION_SYMBOL: &[u8] = b"GATEWAY_ADAPTER_ABI_VERSION\0";

/// Name of the exported `extern "C" fn() -> *const AdapterApi` (NUL-terminated).
pub const ENTRY_SYMBOL: &[u8] = b"gateway_adapter_entry\0";

/// Reply status: the payload is the call's JSON result.
pub const STATUS_OK: u32 = 0;
/// Reply status: the payload is a JSON error (`AdapterError`, or `CallbackError` for
/// `parse_callback`).
pub const STATUS_ERR: u32 = 1;

/// A borrowed byte slice. Valid only for the duration of the call that received it
/// (or, in [`AdapterApi`] string fields, for the life of the process).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Bytes {
    /// First byte; may be null when `len` is 0.
    pub ptr: *const u8,
    /// Number of bytes.
    pub len: usize,
}

impl Bytes {
    /// Borrows `s` for a call.
    pub const fn borrow(s: &[u8]) -> Self {
        Self {
            ptr: s.as_ptr(),
            len: s.len(),
        }
    }

    /// The bytes as a slice.
    ///
    /// # Safety
    /// `ptr` must be valid for reads of `len` bytes for the chosen lifetime `'a`
    /// (or `len` must be 0).
    pub unsafe fn as_slice<'a>(self) -> &'a [u8] {
        if self.len == 0 || self.ptr.is_null() {
            return &[];
        }
        // SAFETY: the caller guarantees `ptr` is valid for `len` bytes for `'a`.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

/// The host's completion function: `func(ctx, status, payload)`.
pub type ReplyFn = unsafe extern "C" fn(ctx: *mut c_void, status: u32, payload: Bytes);

/// Where an adapter delivers the answer of one call. The adapter MUST call `func`
/// exactly once with the `ctx` it was given; `payload` is borrowed for that call only.
/// For synchronous calls (`create`, `capabilities`, `parse_callback`) it MUST do so
/// before returning; for asynchronous ones (`send`, `check_reachable`, `health`) it may
/// do so before returning (this SDK does when the adapter needs no waiting) or later,
/// from any thread, so the host must be ready for the answer before it makes the call.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Reply {
    /// Opaque host value identifying the call.
    pub ctx: *mut c_void,
    /// The host function to call with the answer.
    pub func: ReplyFn,
}

/// The host's log function: `func(ctx, level, target, message)`, level per
/// [`level_to_code`].
pub type LogFn =
    unsafe extern "C" fn(ctx: *const c_void, level: u32, target: Bytes, message: Bytes);

/// Where an instance sends its log lines. The host guarantees `ctx` stays valid for the
/// rest of the process and that `func` may be called from any thread, concurrently.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct LogSink {
    /// Opaque host value identifying the instance.
    pub ctx: *const c_void,
    /// The host function to call for each log line.
    pub func: LogFn,
}

// SAFETY: the host contract above: `ctx` is valid forever and `func` is thread-safe.
unsafe impl Send for LogSink {}
// SAFETY: as for `Send`; the sink is never mutated.
unsafe impl Sync for LogSink {}

/// Numeric code of a tracing level on the wire (1 = error … 5 = trace).
pub fn level_to_code(level: tracing::Level) -> u32 {
    match level {
        tracing::Level::ERROR => 1,
        tracing::Level::WARN => 2,
        tracing::Level::INFO => 3,
        tracing::Level::DEBUG => 4,
        tracing::Level::TRACE => 5,
    }
}

/// The tracing level of a wire code; unknown codes read as `INFO`.
pub fn level_from_code(code: u32) -> tracing::Level {
    match code {
        1 => tracing::Level::ERROR,
        2 => tracing::Level::WARN,
        4 => tracing::Level::DEBUG,
        5 => tracing::Level::TRACE,
        _ => tracing::Level::INFO,
    }
}

/// The host's receiver of pushed status updates: `func(ctx, payload)` with a JSON array
/// of `StatusUpdate`s (borrowed for the call); returns [`STATUS_OK`] if the host took
/// them, [`STATUS_ERR`] if not (busy, shutting down, undecodable).
pub type ReportFn = unsafe extern "C" fn(ctx: *const c_void, payload: Bytes) -> u32;

/// Where an instance pushes status updates it learns outside HTTP callbacks (see
/// [`AdapterApi::set_report_sink`]). The host keeps `ctx` valid until `destroy` of that
/// instance has returned; `func` may be called from any thread, concurrently.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ReportSink {
    /// Opaque host value identifying the instance.
    pub ctx: *const c_void,
    /// The host function to call with each batch of updates.
    pub func: ReportFn,
}

// SAFETY: the host contract above: `ctx` stays valid while the library may call it and
// `func` is thread-safe.
unsafe impl Send for ReportSink {}
// SAFETY: as for `Send`; the sink is never mutated.
unsafe impl Sync for ReportSink {}

/// The JSON document passed to [`AdapterApi::create`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreateArgs {
    /// The instance's `settings` table from the gateway config.
    pub settings: serde_json::Value,
    /// Instance name, data directory and public URL.
    pub context: CreateContext,
    /// Most verbose level the host wants to see (wire code, 0 = off).
    pub log_level: u32,
}

/// The function table a library returns from its entry function.
///
/// Contract (the host side is [`super::host`], the adapter side [`super::export`]):
/// - the table and its string fields live for the rest of the process and are never
///   written to; the host never unloads a library;
/// - `size` is `size_of::<AdapterApi>()` as the library was built; fields are only ever
///   appended, so a host reads a field only if `size` covers it (the first table of this
///   ABI version ended at `health`: [`BASE_TABLE_SIZE`]);
/// - `version` equals the exported ABI version symbol;
/// - every function catches panics inside itself and reports them through `reply`;
/// - `create` returns a non-null instance handle and replies `STATUS_OK` with the
///   `Capabilities` JSON, or returns null and replies `STATUS_ERR` with an `AdapterError`;
/// - the host calls every other function only with a handle from `create` that it has
///   not passed to `destroy`, and calls `destroy` once, when no call on that handle is
///   executing (answers still pending are delivered or dropped safely).
#[repr(C)]
#[derive(Debug)]
pub struct AdapterApi {
    /// `size_of::<AdapterApi>()` as built into the library.
    pub size: usize,
    /// [`ABI_VERSION`] as built into the library.
    pub version: u32,
    /// `Adapter::KIND` (UTF-8, static).
    pub kind: Bytes,
    /// `Adapter::VERSION` (UTF-8, static).
    pub adapter_version: Bytes,
    /// The SDK crate version the library was built with (UTF-8, static).
    pub sdk_version: Bytes,
    /// Builds an instance from a [`CreateArgs`] JSON document.
    pub create: unsafe extern "C" fn(args: Bytes, log: LogSink, reply: Reply) -> *mut c_void,
    /// Frees an instance.
    pub destroy: unsafe extern "C" fn(instance: *mut c_void),
    /// Replies (synchronously) with the instance's `Capabilities`.
    pub capabilities: unsafe extern "C" fn(instance: *const c_void, reply: Reply),
    /// Sends a `SendRequest`; replies later with a `SendResult` or an `AdapterError`.
    pub send: unsafe extern "C" fn(instance: *const c_void, request: Bytes, reply: Reply),
    /// Checks a phone (JSON string); replies later with a `Reachability` or an error.
    pub check_reachable: unsafe extern "C" fn(instance: *const c_void, phone: Bytes, reply: Reply),
    /// Parses a `CallbackRequest`; replies (synchronously) with a `CallbackOutcome` or a
    /// `CallbackError`.
    pub parse_callback: unsafe extern "C" fn(instance: *const c_void, request: Bytes, reply: Reply),
    /// Replies later with the instance's `Health`.
    pub health: unsafe extern "C" fn(instance: *const c_void, reply: Reply),
    /// Appended (SDK 0.1, after `health`; present when `size` covers it): connects the
    /// instance's pushed status updates to `sink`. The host calls it at most once per
    /// instance, before any `send`; the library calls `sink` only until `destroy` of the
    /// instance returns. A library whose table ends before this field never pushes.
    pub set_report_sink: unsafe extern "C" fn(instance: *const c_void, sink: ReportSink),
}

/// Size of the table as the first libraries of this ABI version built it (up to and
/// including `health`): the least a host accepts. Fields after it are read only when a
/// table's `size` covers them.
pub const BASE_TABLE_SIZE: usize = std::mem::offset_of!(AdapterApi, set_report_sink);

/// Whether a table of `size` bytes has the `set_report_sink` field.
pub const fn has_report_sink(size: usize) -> bool {
    size >= std::mem::offset_of!(AdapterApi, set_report_sink) + size_of::<ReportFn>()
}

// SAFETY: the table is immutable and its pointers refer to static, immutable data
// and to thread-safe functions (see the contract above).
unsafe impl Sync for AdapterApi {}
// SAFETY: as for `Sync`.
unsafe impl Send for AdapterApi {}
