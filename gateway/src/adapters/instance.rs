//! [`AdapterInstance`]: what the rest of the gateway sees of an adapter, whichever way
//! it is loaded; and [`LibraryInstance`], an instance behind the C ABI.
//!
//! The host side owns deadlines (a tokio timeout on every asynchronous call, the
//! shorter of the request's deadline and the instance's `timeout`) and the in-flight
//! gauge; the adapter only maps its provider's answers.

use gateway_sdk::abi::host::AbiInstance;
use gateway_sdk::{
    AdapterError, CallbackError, CallbackOutcome, CallbackRequest, Capabilities, Health,
    Reachability, SendRequest, SendResult,
};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// One loaded adapter instance.
#[async_trait::async_trait]
pub trait AdapterInstance: Send + Sync {
    /// The instance name from the config (`sms-main`).
    fn name(&self) -> &str;
    /// The adapter kind (`twilio`, `mock`).
    fn kind(&self) -> &str;
    /// The `adapter` label of its metrics: the instance name for configured instances;
    /// for connections made through the API, `connection:<kind>`, so labels stay
    /// bounded however many connections exist.
    fn metric_label(&self) -> &str {
        self.name()
    }
    /// The adapter's own version.
    fn version(&self) -> &str;
    /// The SDK ABI version it speaks.
    fn abi_version(&self) -> u32;
    /// The version of the SDK (`gateway-sdk`) it was built with.
    fn sdk_version(&self) -> &str;
    /// The library it was loaded from; `None` for an in-process instance.
    fn library(&self) -> Option<&Path>;
    /// What it can do.
    fn capabilities(&self) -> &Capabilities;
    /// Its per-call deadline.
    fn timeout(&self) -> Duration;
    /// Sends one message within `min(req.deadline_ms, timeout)`; a missed deadline is
    /// [`AdapterError::Timeout`].
    async fn send(&self, req: SendRequest) -> Result<SendResult, AdapterError>;
    /// Asks whether `phone` is reachable, within `timeout`.
    async fn check_reachable(&self, phone: &str) -> Result<Reachability, AdapterError>;
    /// Verifies and parses a provider callback (synchronous, CPU only).
    fn parse_callback(&self, req: &CallbackRequest) -> Result<CallbackOutcome, CallbackError>;
    /// Its health, within `timeout` (a missed deadline reads as down).
    async fn health(&self) -> Health;
    /// Calls currently in flight (for a metrics gauge).
    fn inflight(&self) -> usize;
}

/// Counts a call as in flight while alive.
pub(crate) struct InflightGuard<'a>(&'a AtomicUsize);

impl<'a> InflightGuard<'a> {
    pub(crate) fn new(counter: &'a AtomicUsize) -> Self {
        counter.fetch_add(1, Ordering::Relaxed);
        Self(counter)
    }

    /// A guard if fewer than `max` calls are in flight; else `Throttled` (the caller
    /// moves on to the next channel), naming the instance and the cap.
    pub(crate) fn within(
        counter: &'a AtomicUsize,
        max: usize,
        instance: &str,
    ) -> Result<Self, AdapterError> {
        let guard = Self::new(counter);
        if counter.load(Ordering::Relaxed) > max {
            return Err(AdapterError::Throttled {
                message: format!(
                    "adapter `{instance}` already has {max} calls in flight (its `max_inflight`); the provider is slow or hanging"
                ),
                retry_after_ms: Some(1000),
            });
        }
        Ok(guard)
    }
}

impl Drop for InflightGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The deadline of a send: the request's own (if set) capped by the instance's.
pub(crate) fn send_deadline(req: &SendRequest, timeout: Duration) -> Duration {
    match req.deadline_ms {
        0 => timeout,
        ms => Duration::from_millis(ms).min(timeout),
    }
}

/// Runs `fut` with a deadline; a missed deadline is a `Timeout` naming the instance.
/// An internal failure (a panic, a bug) is logged and answered generically: see
/// [`internal_failure`].
pub(crate) async fn with_deadline<T>(
    instance: &str,
    call: &str,
    deadline: Duration,
    fut: impl Future<Output = Result<T, AdapterError>>,
) -> Result<T, AdapterError> {
    match tokio::time::timeout(deadline, fut).await {
        Ok(Err(AdapterError::Internal { message })) => Err(AdapterError::Internal {
            message: internal_failure(instance, call, &message),
        }),
        Ok(answer) => answer,
        Err(_) => Err(AdapterError::Timeout {
            message: format!(
                "adapter `{instance}` gave no {call} answer within {} ms",
                deadline.as_millis()
            ),
        }),
    }
}

/// Logs an adapter's internal failure (a panic's text included) through the gateway's
/// log, phones masked, and returns the sentence that goes further (attempts, API
/// answers): adapter code is third-party, and its panic text may carry a number or
/// internals that no API caller should see.
pub(crate) fn internal_failure(instance: &str, call: &str, message: &str) -> String {
    tracing::error!(
        adapter = instance,
        call,
        error = %crate::phone::redact_numbers(message),
        "adapter failed internally"
    );
    format!("adapter `{instance}` failed internally in {call}; the gateway log has the details")
}

/// [`internal_failure`] for a callback's parse.
pub(crate) fn conceal_callback(
    instance: &str,
    answer: Result<CallbackOutcome, CallbackError>,
) -> Result<CallbackOutcome, CallbackError> {
    match answer {
        Err(CallbackError::Internal { message }) => Err(CallbackError::Internal {
            message: internal_failure(instance, "parse_callback", &message),
        }),
        other => other,
    }
}

/// An instance of a shared library, called through the C ABI.
#[derive(Debug)]
pub struct LibraryInstance {
    inner: AbiInstance,
    library: PathBuf,
    timeout: Duration,
    inflight: AtomicUsize,
    /// Calls allowed in flight at once (see `AdapterInstanceConfig::max_inflight`).
    max_inflight: usize,
    /// The metric label, when it is not the name (see [`AdapterInstance::metric_label`]).
    label: Option<String>,
}

impl LibraryInstance {
    pub(crate) fn new(inner: AbiInstance, library: PathBuf, timeout: Duration) -> Self {
        Self {
            inner,
            library,
            timeout,
            inflight: AtomicUsize::new(0),
            max_inflight: super::config::DEFAULT_MAX_INFLIGHT,
            label: None,
        }
    }

    /// The same instance with at most `max` calls in flight at once.
    pub fn with_max_inflight(mut self, max: usize) -> Self {
        self.max_inflight = max.max(1);
        self
    }

    /// The same instance, labelled `label` in metrics instead of by its name.
    pub fn with_metric_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }
}

#[async_trait::async_trait]
impl AdapterInstance for LibraryInstance {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn kind(&self) -> &str {
        self.inner.api().kind()
    }

    fn metric_label(&self) -> &str {
        self.label.as_deref().unwrap_or_else(|| self.inner.name())
    }

    fn version(&self) -> &str {
        self.inner.api().adapter_version()
    }

    fn abi_version(&self) -> u32 {
        self.inner.api().abi_version()
    }

    fn sdk_version(&self) -> &str {
        self.inner.api().sdk_version()
    }

    fn library(&self) -> Option<&Path> {
        Some(&self.library)
    }

    fn capabilities(&self) -> &Capabilities {
        self.inner.capabilities()
    }

    fn timeout(&self) -> Duration {
        self.timeout
    }

    async fn send(&self, mut req: SendRequest) -> Result<SendResult, AdapterError> {
        let _inflight = InflightGuard::within(&self.inflight, self.max_inflight, self.name())?;
        let deadline = send_deadline(&req, self.timeout);
        req.deadline_ms = u64::try_from(deadline.as_millis()).unwrap_or(u64::MAX);
        with_deadline(self.name(), "send", deadline, self.inner.send(&req)).await
    }

    async fn check_reachable(&self, phone: &str) -> Result<Reachability, AdapterError> {
        let _inflight = InflightGuard::within(&self.inflight, self.max_inflight, self.name())?;
        let answer = self.inner.check_reachable(phone);
        with_deadline(self.name(), "check_reachable", self.timeout, answer).await
    }

    fn parse_callback(&self, req: &CallbackRequest) -> Result<CallbackOutcome, CallbackError> {
        let _inflight = InflightGuard::new(&self.inflight);
        conceal_callback(self.name(), self.inner.parse_callback(req))
    }

    async fn health(&self) -> Health {
        let _inflight = InflightGuard::new(&self.inflight);
        let answer = async { Ok(self.inner.health().await) };
        with_deadline(self.name(), "health", self.timeout, answer)
            .await
            .unwrap_or_else(|e| Health::down(e.to_string()))
    }

    fn inflight(&self) -> usize {
        self.inflight.load(Ordering::Relaxed)
    }
}
