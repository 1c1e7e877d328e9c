//! Forwards an instance's tracing events to the host's [`LogSink`].
//!
//! Inside a `cdylib` the adapter's `tracing` is a separate copy whose events the host's
//! subscriber never sees. Each instance gets a [`Forwarder`] dispatch, made current
//! around every call into adapter code and inside every future it spawns; it formats
//! each event (message plus `key=value` fields) and hands it to the host, which
//! re-emits it with the instance name. Spans are accepted but not forwarded: an event
//! carries its own fields. Tasks an adapter spawns itself should be wrapped with
//! `tracing::instrument::WithSubscriber::with_current_subscriber` to keep logging.
//!
//! When the "library" is compiled into the host's own process (conformance tests,
//! benchmarks) both sides share one `tracing`, so no forwarding is needed (and a
//! subscriber may not re-enter its own dispatcher): the instance then logs straight to
//! the dispatch that was current when it was created.

use super::ffi::{Bytes, LogSink, level_to_code};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::{Dispatch, Event, Metadata, Subscriber};

/// The per-instance subscriber.
pub(crate) struct Forwarder {
    /// The host's sink for this instance.
    sink: LogSink,
    /// Most verbose level the host asked for.
    max: LevelFilter,
    /// Span ids only need to be unique per subscriber.
    next_span: AtomicU64,
}

/// A dispatch forwarding to `sink` up to the level with wire code `log_level`.
pub(crate) fn dispatch(sink: LogSink, log_level: u32) -> Dispatch {
    let max = match log_level {
        0 => LevelFilter::OFF,
        code => LevelFilter::from_level(super::ffi::level_from_code(code)),
    };
    // Comparing addresses is exact here: the same function in the same image.
    let host_log: super::ffi::LogFn = super::host::host_log;
    if std::ptr::fn_addr_eq(sink.func, host_log) {
        return tracing::dispatcher::get_default(Dispatch::clone);
    }
    Dispatch::new(Forwarder {
        sink,
        max,
        next_span: AtomicU64::new(1),
    })
}

impl Subscriber for Forwarder {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        *metadata.level() <= self.max
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(self.max)
    }

    fn new_span(&self, _span: &Attributes<'_>) -> Id {
        Id::from_u64(self.next_span.fetch_add(1, Ordering::Relaxed))
    }

    fn record(&self, _span: &Id, _values: &Record<'_>) {}

    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut line = Line::default();
        event.record(&mut line);
        let text = line.finish();
        let meta = event.metadata();
        let level = level_to_code(*meta.level());
        // SAFETY: the host guarantees the sink is valid forever and thread-safe; both
        // byte slices outlive the call.
        unsafe {
            (self.sink.func)(
                self.sink.ctx,
                level,
                Bytes::borrow(meta.target().as_bytes()),
                Bytes::borrow(text.as_bytes()),
            )
        }
    }

    fn enter(&self, _span: &Id) {}

    fn exit(&self, _span: &Id) {}
}

/// Collects an event's message and fields into one line.
#[derive(Default)]
struct Line {
    message: String,
    fields: String,
}

impl Line {
    fn finish(self) -> String {
        if self.fields.is_empty() {
            self.message
        } else if self.message.is_empty() {
            self.fields.trim_start().to_owned()
        } else {
            format!("{}{}", self.message, self.fields)
        }
    }
}

impl Visit for Line {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
}
