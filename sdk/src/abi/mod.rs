//! The C ABI between the gateway and an adapter library: the only `unsafe` in the SDK.
//!
//! Rust has no stable ABI, so a library and the gateway talk through plain C:
//! an exported version symbol ([`ABI_VERSION_SYMBOL`]), one entry function
//! ([`ENTRY_SYMBOL`]) returning a `#[repr(C)]`, append-only table of `extern "C"`
//! functions ([`AdapterApi`]), and JSON bytes that are *borrowed* for the duration of a
//! call and copied by whoever keeps them, so memory is never freed by the other
//! allocator. [`export`] is the adapter side of the table (generated for an
//! [`Adapter`](crate::Adapter) by [`export_adapter!`](crate::export_adapter)), [`host`]
//! is the gateway side. Both live here so that the conformance kit can drive the real
//! table in-process, and so that the two halves of the contract are reviewed together.
//!
//! Every `unsafe` block carries a `// SAFETY:` comment naming the part of the contract
//! (documented on [`AdapterApi`]) that makes it sound.

mod answers;
mod completion;
pub mod export;
mod ffi;
pub mod host;
mod logging;
mod runtime;
mod task;

#[doc(hidden)]
pub use answers::{decode_async_answer_for_fuzzing, decode_sync_answer_for_fuzzing};
pub use export::api_for;
pub use ffi::{
    ABI_VERSION, ABI_VERSION_SYMBOL, AdapterApi, BASE_TABLE_SIZE, Bytes, CreateArgs, ENTRY_SYMBOL,
    LogFn, LogSink, Reply, ReplyFn, ReportFn, ReportSink, STATUS_ERR, STATUS_OK, has_report_sink,
    level_from_code, level_to_code,
};

#[cfg(test)]
mod tests;
