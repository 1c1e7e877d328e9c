//! Drives the real function table in-process with a small test adapter.

use super::completion::Completer;
use super::ffi::{Bytes, LogSink, Reply};
use super::host::{AbiInstance, LibraryApi, TableError};
use super::{ABI_VERSION, AdapterApi, api_for};
use crate::*;
use std::ffi::c_void;
use std::sync::Mutex;

mod inline;
mod reports;

struct Probe {
    fail_create: bool,
}

/// Phones the probe answers without awaiting anything.
const INLINE_OK: &str = "+10000000004";
const INLINE_PANIC: &str = "+10000000003";

#[async_trait]
impl Adapter for Probe {
    const KIND: &'static str = "probe";
    const VERSION: &'static str = "9.9.9";

    fn create(settings: serde_json::Value, ctx: CreateContext) -> Result<Self, AdapterError> {
        if settings.get("panic").is_some() {
            panic!("create exploded");
        }
        if settings.get("bad").is_some() {
            return Err(AdapterError::config(format!(
                "`bad` is not allowed for {}",
                ctx.instance
            )));
        }
        Ok(Self { fail_create: false })
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            channels: vec![Channel::Telegram],
            reachability_check: true,
            delivery_reports: self.fail_create,
            provider_renders_text: true,
            codes: None,
        }
    }

    async fn send(&self, request: SendRequest) -> Result<SendResult, AdapterError> {
        // These answer before the first await, so in the inline first poll.
        match request.phone.as_str() {
            INLINE_PANIC => panic!("send exploded inline"),
            // Inline code runs inside the library runtime's context.
            INLINE_OK if tokio::runtime::Handle::try_current().is_ok() => {
                return Ok(SendResult {
                    provider_message_id: format!("inline-{}", request.message_id),
                    status: DeliveryStatus::Sent,
                    segments_billed: None,
                });
            }
            INLINE_OK => return Err(AdapterError::transient("no runtime in the inline poll")),
            _ => {}
        }
        tokio::task::yield_now().await; // the rest waits once, so runs on the runtime
        match request.phone.as_str() {
            "+10000000001" => panic!("send exploded"),
            "+10000000002" => Err(AdapterError::rejected("no")),
            _ => Ok(SendResult {
                provider_message_id: format!("p-{}", request.message_id),
                status: DeliveryStatus::Queued,
                segments_billed: None,
            }),
        }
    }

    async fn check_reachable(&self, phone: &str) -> Result<Reachability, AdapterError> {
        Ok(Reachability {
            reachable: phone.ends_with('7'),
            precheck_ref: Some("r".into()),
        })
    }

    fn parse_callback(&self, request: &CallbackRequest) -> Result<CallbackOutcome, CallbackError> {
        match request.body.as_str() {
            "boom" => panic!("callback exploded"),
            "ok" => Ok(CallbackOutcome::default()),
            _ => Err(CallbackError::Signature {
                message: "bad".into(),
            }),
        }
    }

    async fn health(&self) -> Health {
        Health::down("probe is always down")
    }
}

fn context(name: &str) -> CreateContext {
    CreateContext {
        instance: name.into(),
        data_dir: "/nonexistent".into(),
        public_url: None,
    }
}

fn request(phone: &str) -> SendRequest {
    SendRequest {
        message_id: "msg_1".into(),
        phone: phone.into(),
        text: "Confirmation code: 1234".into(),
        code: "1234".into(),
        title: None,
        language: "en".into(),
        sender_id: None,
        code_ttl_secs: 300,
        deadline_ms: 1000,
        idempotency_key: "k".into(),
        callback_url: None,
        precheck_ref: None,
        encoding: None,
        segments: None,
    }
}

fn probe() -> AbiInstance {
    LibraryApi::of::<Probe>()
        .create(serde_json::json!({}), context("probe-a"))
        .expect("probe creates")
}

#[tokio::test]
async fn create_reports_names_and_capabilities() {
    let api = LibraryApi::of::<Probe>();
    assert_eq!(
        (api.kind(), api.adapter_version(), api.abi_version()),
        ("probe", "9.9.9", ABI_VERSION)
    );
    assert_eq!(api.sdk_version(), env!("CARGO_PKG_VERSION"));
    let inst = probe();
    assert_eq!(inst.capabilities().channels, vec![Channel::Telegram]);
    assert_eq!(
        inst.refresh_capabilities().expect("caps"),
        *inst.capabilities()
    );
    assert_eq!(inst.name(), "probe-a");
}

#[tokio::test]
async fn create_errors_and_panics_become_errors() {
    let api = LibraryApi::of::<Probe>();
    let err = api
        .create(serde_json::json!({"bad": 1}), context("x"))
        .expect_err("config error");
    assert!(
        matches!(&err, AdapterError::Config { message } if message.contains("for x")),
        "{err:?}"
    );
    let err = api
        .create(serde_json::json!({"panic": 1}), context("x"))
        .expect_err("panic");
    assert!(
        matches!(&err, AdapterError::Internal { message } if message.contains("create exploded")),
        "{err:?}"
    );
}

#[tokio::test]
async fn send_answers_ok_error_and_panic() {
    let inst = probe();
    let ok = inst.send(&request("+15550001111")).await.expect("accepted");
    assert_eq!(ok.provider_message_id, "p-msg_1");
    assert_eq!(
        inst.send(&request("+10000000002")).await,
        Err(AdapterError::rejected("no"))
    );
    let err = inst
        .send(&request("+10000000001"))
        .await
        .expect_err("panic is an error");
    assert!(
        matches!(&err, AdapterError::Internal { message } if message.contains("send exploded")),
        "{err:?}"
    );
    // The instance keeps serving after a panic.
    assert!(inst.send(&request("+15550001111")).await.is_ok());
    // The same answers when the future finishes in the inline first poll.
    let ok = inst.send(&request(INLINE_OK)).await.expect("inline ok");
    assert_eq!(ok.provider_message_id, "inline-msg_1");
    let err = inst
        .send(&request(INLINE_PANIC))
        .await
        .expect_err("inline panic is an error");
    assert!(
        matches!(&err, AdapterError::Internal { message } if message.contains("send exploded inline")),
        "{err:?}"
    );
    assert!(inst.send(&request(INLINE_OK)).await.is_ok());
}

#[tokio::test]
async fn reachability_callbacks_and_health_cross_the_table() {
    let inst = probe();
    assert!(
        inst.check_reachable("+15550000007")
            .await
            .expect("answer")
            .reachable
    );
    assert!(
        !inst
            .check_reachable("+15550000008")
            .await
            .expect("answer")
            .reachable
    );
    let mut cb = CallbackRequest {
        method: "POST".into(),
        url: "http://x/".into(),
        headers: vec![],
        body: "ok".into(),
        received_at: time::OffsetDateTime::UNIX_EPOCH,
    };
    assert!(inst.parse_callback(&cb).is_ok());
    cb.body = "tampered".into();
    assert!(matches!(
        inst.parse_callback(&cb),
        Err(CallbackError::Signature { .. })
    ));
    cb.body = "boom".into();
    assert!(matches!(
        inst.parse_callback(&cb),
        Err(CallbackError::Internal { .. })
    ));
    assert_eq!(inst.health().await, Health::down("probe is always down"));
}

#[tokio::test]
async fn in_process_wrapper_uses_the_same_table() {
    let inst = AbiInstance::in_process(Probe { fail_create: true }, "probe-b").expect("wraps");
    assert!(inst.capabilities().delivery_reports);
    assert!(inst.send(&request("+15550001111")).await.is_ok());
}

#[test]
fn tables_of_another_version_or_size_are_refused() {
    let mut table = api_for::<Probe>();
    table.version = ABI_VERSION + 1;
    // SAFETY: a valid table, leaked so it is 'static.
    let err = unsafe { LibraryApi::from_raw(Box::leak(Box::new(table))) }.expect_err("version");
    assert_eq!(
        err,
        TableError::Version {
            found: ABI_VERSION + 1,
            expected: ABI_VERSION
        }
    );
    let mut table = api_for::<Probe>();
    table.size = 8;
    // SAFETY: as above.
    let err = unsafe { LibraryApi::from_raw(Box::leak(Box::new(table))) }.expect_err("size");
    assert!(matches!(err, TableError::TooSmall { found: 8, .. }));
    // SAFETY: null is explicitly allowed.
    assert_eq!(
        unsafe { LibraryApi::from_raw(std::ptr::null()) }.expect_err("null"),
        TableError::Null
    );
    let _ = size_of::<AdapterApi>();
}

unsafe extern "C" fn count_reply(ctx: *mut c_void, status: u32, payload: Bytes) {
    // SAFETY: tests pass a `Mutex<Vec<..>>` as ctx and lend the payload for the call.
    let (sink, payload) = unsafe {
        (
            &*ctx.cast::<Mutex<Vec<(u32, String)>>>(),
            payload.as_slice(),
        )
    };
    sink.lock()
        .expect("lock")
        .push((status, String::from_utf8_lossy(payload).into_owned()));
}

#[test]
fn a_dropped_completer_answers_once_with_an_internal_error() {
    let answers: Mutex<Vec<(u32, String)>> = Mutex::new(Vec::new());
    let reply = Reply {
        ctx: std::ptr::from_ref(&answers).cast_mut().cast(),
        func: count_reply,
    };
    drop(Completer::new(reply));
    Completer::new(reply).ok(&1u8);
    let answers = answers.into_inner().expect("lock");
    assert_eq!(answers.len(), 2);
    assert_eq!(answers[0].0, super::STATUS_ERR);
    assert!(
        answers[0].1.contains("without answering"),
        "{:?}",
        answers[0]
    );
    assert_eq!(answers[1], (super::STATUS_OK, "1".to_owned()));
}

unsafe extern "C" fn capture_log(ctx: *const c_void, level: u32, target: Bytes, message: Bytes) {
    // SAFETY: tests pass a `Mutex<Vec<..>>` as ctx and lend the bytes for the call.
    let (sink, target, message) = unsafe {
        (
            &*ctx.cast::<Mutex<Vec<String>>>(),
            target.as_slice(),
            message.as_slice(),
        )
    };
    let line = format!(
        "{level} {} {}",
        String::from_utf8_lossy(target),
        String::from_utf8_lossy(message)
    );
    sink.lock().expect("lock").push(line);
}

#[test]
fn log_events_reach_the_sink_with_fields_and_level_filter() {
    let lines: &'static Mutex<Vec<String>> = Box::leak(Box::new(Mutex::new(Vec::new())));
    let sink = LogSink {
        ctx: std::ptr::from_ref(lines).cast(),
        func: capture_log,
    };
    let dispatch = super::logging::dispatch(sink, 3);
    tracing::dispatcher::with_default(&dispatch, || {
        tracing::info!(target: "probe", attempt = 2, "provider answered");
        tracing::debug!(target: "probe", "filtered out");
    });
    let lines = lines.lock().expect("lock").clone();
    assert_eq!(
        lines,
        vec!["3 probe provider answered attempt=2".to_owned()]
    );
}
