//! The cases of the battery, each a small async function that panics on failure.

use super::{ConformanceHarness, Scenario};
use crate::abi::host::{AbiInstance, LibraryApi};
use crate::{AdapterError, CallbackError, SendResult};
use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;

/// Deadline given to every non-stall request.
pub(super) const DEADLINE_MS: u64 = 10_000;
/// Deadline of the stall case.
const STALL_DEADLINE_MS: u64 = 300;
/// How long past its deadline the kit waits before declaring an adapter hung.
const SAFETY_MARGIN: Duration = Duration::from_secs(10);
/// Sends in flight at once in the concurrency case.
const CONCURRENT: usize = 100;

/// Runs the battery; panics with a message naming the failed case and what was expected.
pub async fn run_conformance<H: ConformanceHarness>(harness: &H) {
    metadata::<H>();
    accept(harness).await;
    client_error(harness).await;
    server_error(harness).await;
    stall(harness).await;
    malformed(harness).await;
    concurrent(harness).await;
    callbacks(harness).await;
    super::tables::provider_errors(harness).await;
    super::tables::unknown_status(harness).await;
    super::tables::no_secret(harness).await;
}

pub(super) fn fail(case: &str, expected: &str, got: impl std::fmt::Debug) -> ! {
    panic!("conformance case `{case}` failed: expected {expected}, got {got:?}")
}

async fn instance<H: ConformanceHarness>(harness: &H, scenario: Scenario) -> AbiInstance {
    instance_of(harness.adapter(scenario).await)
}

/// `adapter` behind the real C ABI table, in-process.
pub(super) fn instance_of<A: crate::Adapter>(adapter: A) -> AbiInstance {
    AbiInstance::in_process(adapter, "conformance")
        .unwrap_or_else(|e| fail("setup", "the adapter to cross the C ABI table", e))
}

pub(super) async fn bounded<T>(case: &str, deadline_ms: u64, fut: impl Future<Output = T>) -> T {
    let limit = Duration::from_millis(deadline_ms) + SAFETY_MARGIN;
    tokio::time::timeout(limit, fut).await.unwrap_or_else(|_| {
        fail(
            case,
            "an answer (the adapter hung past its deadline)",
            limit,
        )
    })
}

async fn send_one<H: ConformanceHarness>(
    harness: &H,
    case: &str,
    scenario: Scenario,
    deadline_ms: u64,
) -> Result<SendResult, AdapterError> {
    let inst = instance(harness, scenario).await;
    let mut request = harness.request(&format!("msg_conformance_{case}"));
    request.deadline_ms = deadline_ms;
    let result = bounded(case, deadline_ms, inst.send(&request)).await;
    if let Err(AdapterError::Internal { message }) = &result
        && message.contains("panicked")
    {
        fail(case, "an answer, not a panic", message);
    }
    result
}

fn metadata<H: ConformanceHarness>() {
    let api = LibraryApi::of::<H::Adapter>();
    if api.kind().is_empty() || api.kind().contains(char::is_whitespace) {
        fail("metadata", "a non-empty KIND without spaces", api.kind());
    }
    if api.adapter_version().is_empty() {
        fail("metadata", "a non-empty VERSION", api.adapter_version());
    }
}

async fn accept<H: ConformanceHarness>(harness: &H) {
    match send_one(harness, "accept", Scenario::Accept, DEADLINE_MS).await {
        Ok(r) if !r.provider_message_id.is_empty() => {}
        other => fail("accept", "Ok with a non-empty provider_message_id", other),
    }
}

async fn client_error<H: ConformanceHarness>(harness: &H) {
    match send_one(harness, "client_error", Scenario::ClientError, DEADLINE_MS).await {
        Err(
            AdapterError::Rejected { .. }
            | AdapterError::Unreachable { .. }
            | AdapterError::Auth { .. }
            | AdapterError::Account { .. }
            | AdapterError::Config { .. },
        ) => {}
        other => fail(
            "client_error",
            "Err(Rejected | Unreachable | Auth | Account | Config)",
            other,
        ),
    }
}

async fn server_error<H: ConformanceHarness>(harness: &H) {
    match send_one(harness, "server_error", Scenario::ServerError, DEADLINE_MS).await {
        Err(AdapterError::Transient { .. } | AdapterError::Throttled { .. }) => {}
        other => fail("server_error", "Err(Transient | Throttled)", other),
    }
}

async fn stall<H: ConformanceHarness>(harness: &H) {
    match send_one(harness, "stall", Scenario::Stall, STALL_DEADLINE_MS).await {
        Err(AdapterError::Timeout { .. } | AdapterError::Transient { .. }) => {}
        other => fail(
            "stall",
            "Err(Timeout | Transient) after deadline_ms = 300",
            other,
        ),
    }
}

async fn malformed<H: ConformanceHarness>(harness: &H) {
    if let Ok(r) = send_one(harness, "malformed", Scenario::Malformed, DEADLINE_MS).await {
        fail("malformed", "an Err for an undecodable provider answer", r);
    }
}

async fn concurrent<H: ConformanceHarness>(harness: &H) {
    let case = "concurrent";
    let inst = instance(harness, Scenario::Accept).await;
    let sends = (0..CONCURRENT).map(|i| {
        let mut request = harness.request(&format!("msg_conformance_{case}_{i}"));
        request.deadline_ms = DEADLINE_MS;
        inst.send(&request)
    });
    let results = bounded(case, DEADLINE_MS, futures::future::join_all(sends)).await;
    let mut ids = HashSet::new();
    for (i, result) in results.iter().enumerate() {
        match result {
            Ok(r) if !r.provider_message_id.is_empty() => {
                ids.insert(r.provider_message_id.clone());
            }
            other => fail(case, &format!("send #{i} to succeed"), other),
        }
    }
    if results.len() != CONCURRENT {
        fail(case, &format!("{CONCURRENT} completions"), results.len());
    }
    if ids.len() != CONCURRENT {
        fail(
            case,
            "a distinct provider_message_id per message",
            ids.len(),
        );
    }
}

async fn callbacks<H: ConformanceHarness>(harness: &H) {
    let (Some(valid), Some(tampered)) = (harness.callback(true), harness.callback(false)) else {
        return;
    };
    let inst = instance(harness, Scenario::Accept).await;
    match inst.parse_callback(&valid) {
        Ok(outcome) if !outcome.updates.is_empty() => {}
        other => fail(
            "callback_valid",
            "Ok with at least one status update",
            other,
        ),
    }
    match inst.parse_callback(&tampered) {
        Err(CallbackError::Signature { .. }) => {}
        other => fail("callback_tampered", "Err(CallbackError::Signature)", other),
    }
}
