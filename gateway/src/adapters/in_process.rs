//! [`InProcess`]: an adapter compiled into the gateway binary, called through the trait
//! directly, with the same deadlines and panic handling as a library instance. For
//! tests and benchmarks (the baseline the C ABI's cost is measured against).

use super::config::HostContext;
use super::instance::{AdapterInstance, InflightGuard, send_deadline, with_deadline};
use futures::FutureExt as _;
use gateway_sdk::abi::ABI_VERSION;
use gateway_sdk::{
    Adapter, AdapterError, CallbackError, CallbackOutcome, CallbackRequest, Capabilities,
    CreateContext, Health, Reachability, SendRequest, SendResult,
};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// An adapter called in-process.
#[derive(Debug)]
pub struct InProcess<A: Adapter> {
    adapter: A,
    name: String,
    capabilities: Capabilities,
    timeout: Duration,
    inflight: AtomicUsize,
}

impl<A: Adapter> InProcess<A> {
    /// Wraps a built adapter.
    pub fn new(name: impl Into<String>, adapter: A, timeout: Duration) -> Self {
        let capabilities = adapter.capabilities();
        Self {
            adapter,
            name: name.into(),
            capabilities,
            timeout,
            inflight: AtomicUsize::new(0),
        }
    }

    /// Builds the adapter from its settings, as the loader would.
    pub fn create(
        name: &str,
        settings: serde_json::Value,
        ctx: &HostContext,
        timeout: Duration,
    ) -> Result<Self, AdapterError> {
        let context = CreateContext {
            instance: name.to_owned(),
            data_dir: ctx.data_dir.to_string_lossy().into_owned(),
            public_url: ctx.public_url.clone(),
        };
        Ok(Self::new(name, A::create(settings, context)?, timeout))
    }

    /// The wrapped adapter.
    pub fn adapter(&self) -> &A {
        &self.adapter
    }
}

/// A panic inside `fut` becomes `AdapterError::Internal`, as across the C ABI.
async fn unwind<T>(
    call: &str,
    fut: impl Future<Output = Result<T, AdapterError>>,
) -> Result<T, AdapterError> {
    AssertUnwindSafe(fut)
        .catch_unwind()
        .await
        .unwrap_or_else(|payload| {
            Err(AdapterError::Internal {
                message: format!("adapter panicked in {call}: {}", panic_text(&*payload)),
            })
        })
}

/// The text of a panic payload (for the log only).
fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_owned())
}

#[async_trait::async_trait]
impl<A: Adapter> AdapterInstance for InProcess<A> {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &str {
        A::KIND
    }

    fn version(&self) -> &str {
        A::VERSION
    }

    fn abi_version(&self) -> u32 {
        ABI_VERSION
    }

    fn sdk_version(&self) -> &str {
        // Compiled into the gateway: the SDK the gateway itself was built with.
        gateway_sdk::SDK_VERSION
    }

    fn library(&self) -> Option<&Path> {
        None
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    fn timeout(&self) -> Duration {
        self.timeout
    }

    async fn send(&self, mut req: SendRequest) -> Result<SendResult, AdapterError> {
        let _inflight = InflightGuard::new(&self.inflight);
        let deadline = send_deadline(&req, self.timeout);
        req.deadline_ms = u64::try_from(deadline.as_millis()).unwrap_or(u64::MAX);
        with_deadline(
            &self.name,
            "send",
            deadline,
            unwind("send", self.adapter.send(req)),
        )
        .await
    }

    async fn check_reachable(&self, phone: &str) -> Result<Reachability, AdapterError> {
        let _inflight = InflightGuard::new(&self.inflight);
        let answer = unwind("check_reachable", self.adapter.check_reachable(phone));
        with_deadline(&self.name, "check_reachable", self.timeout, answer).await
    }

    fn parse_callback(&self, req: &CallbackRequest) -> Result<CallbackOutcome, CallbackError> {
        let answer =
            std::panic::catch_unwind(AssertUnwindSafe(|| self.adapter.parse_callback(req)))
                .unwrap_or_else(|payload| {
                    Err(CallbackError::Internal {
                        message: format!(
                            "adapter panicked in parse_callback: {}",
                            panic_text(&*payload)
                        ),
                    })
                });
        super::instance::conceal_callback(&self.name, answer)
    }

    async fn health(&self) -> Health {
        let _inflight = InflightGuard::new(&self.inflight);
        let answer = unwind("health", async { Ok(self.adapter.health().await) });
        with_deadline(&self.name, "health", self.timeout, answer)
            .await
            .unwrap_or_else(|e| Health::down(e.to_string()))
    }

    fn inflight(&self) -> usize {
        self.inflight.load(Ordering::Relaxed)
    }
}
