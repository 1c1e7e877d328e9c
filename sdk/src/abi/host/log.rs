//! The log sink the host hands each instance: an adapter's log lines arrive through
//! the C ABI and go out through the host's `tracing`, under the instance's name.

use super::super::ffi::{Bytes, LogSink, level_from_code, level_to_code};
use std::ffi::c_void;

/// Log context handed to an instance: its name, leaked because the library may log
/// from in-flight tasks at any time and libraries are never unloaded.
struct LogContext {
    instance: String,
}

pub(super) fn leak_log_sink(instance: &str) -> LogSink {
    let ctx: &'static LogContext = Box::leak(Box::new(LogContext {
        instance: instance.to_owned(),
    }));
    LogSink {
        ctx: std::ptr::from_ref(ctx).cast(),
        func: host_log,
    }
}

pub(super) fn host_log_level() -> u32 {
    tracing::level_filters::LevelFilter::current()
        .into_level()
        .map_or(0, level_to_code)
}

pub(in crate::abi) unsafe extern "C" fn host_log(
    ctx: *const c_void,
    level: u32,
    target: Bytes,
    message: Bytes,
) {
    // SAFETY: `ctx` is a leaked `LogContext`; the byte slices are lent for this call.
    let (ctx, target, message) = unsafe {
        (
            &*ctx.cast::<LogContext>(),
            target.as_slice(),
            message.as_slice(),
        )
    };
    let adapter = ctx.instance.as_str();
    let origin = String::from_utf8_lossy(target);
    let message = String::from_utf8_lossy(message);
    // A panicking host subscriber must not unwind into the library.
    let _ = std::panic::catch_unwind(move || match level_from_code(level) {
        tracing::Level::ERROR => {
            tracing::error!(target: "adapter", adapter, origin = %origin, "{message}")
        }
        tracing::Level::WARN => {
            tracing::warn!(target: "adapter", adapter, origin = %origin, "{message}")
        }
        tracing::Level::INFO => {
            tracing::info!(target: "adapter", adapter, origin = %origin, "{message}")
        }
        tracing::Level::DEBUG => {
            tracing::debug!(target: "adapter", adapter, origin = %origin, "{message}")
        }
        tracing::Level::TRACE => {
            tracing::trace!(target: "adapter", adapter, origin = %origin, "{message}")
        }
    });
}
