//! Config parsing, library resolution, the registry and in-process deadlines.

use super::*;
use gateway_sdk::{
    Adapter, AdapterError, Capabilities, Channel, DeliveryStatus, SendRequest, SendResult,
};
use std::time::Duration;

struct Slow;

#[gateway_sdk::async_trait]
impl Adapter for Slow {
    const KIND: &'static str = "slow";
    const VERSION: &'static str = "0.0.1";

    fn create(
        settings: serde_json::Value,
        _: gateway_sdk::CreateContext,
    ) -> Result<Self, AdapterError> {
        match settings.get("ok") {
            Some(_) => Ok(Slow),
            None => Err(AdapterError::config("`ok` is required")),
        }
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            channels: vec![Channel::Sms],
            reachability_check: false,
            delivery_reports: false,
            provider_renders_text: false,
            codes: None,
        }
    }

    async fn send(&self, request: SendRequest) -> Result<SendResult, AdapterError> {
        match request.phone.as_str() {
            "+1panic" => panic!("boom"),
            "+1stall" => std::future::pending().await,
            _ => Ok(SendResult {
                provider_message_id: request.deadline_ms.to_string(),
                status: DeliveryStatus::Sent,
                segments_billed: None,
            }),
        }
    }
}

fn request(phone: &str, deadline_ms: u64) -> SendRequest {
    SendRequest {
        message_id: "msg_1".into(),
        phone: phone.into(),
        text: "t".into(),
        code: "1".into(),
        title: None,
        language: "en".into(),
        sender_id: None,
        code_ttl_secs: 60,
        deadline_ms,
        idempotency_key: "k".into(),
        callback_url: None,
        precheck_ref: None,
        encoding: None,
        segments: None,
    }
}

fn host() -> HostContext {
    HostContext {
        data_dir: std::env::temp_dir(),
        public_url: None,
        reports: None,
    }
}

#[test]
fn config_defaults_and_unknown_fields() {
    let c: AdapterInstanceConfig =
        serde_json::from_str(r#"{"name":"sms-main","library":"adapter_mock"}"#).expect("parses");
    assert_eq!(c.timeout, DEFAULT_TIMEOUT);
    assert_eq!(c.settings, serde_json::json!({}));
    assert_eq!(c.throughput, None);
    let c: AdapterInstanceConfig = serde_json::from_str(
        r#"{"name":"a","library":"x","timeout":"800ms","throughput":{"per_second":5,"burst":10},"settings":{"k":1}}"#,
    )
    .expect("parses");
    assert_eq!(c.timeout, Duration::from_millis(800));
    assert_eq!(
        c.throughput,
        Some(Throughput {
            per_second: 5,
            burst: 10
        })
    );
    let err = serde_json::from_str::<AdapterInstanceConfig>(
        r#"{"name":"a","library":"x","tiemout":"1s"}"#,
    )
    .expect_err("typo refused");
    assert!(err.to_string().contains("tiemout"), "{err}");
}

#[test]
fn validation_names_the_field() {
    let mut c: AdapterInstanceConfig =
        serde_json::from_str(r#"{"name":"ok-name_1","library":"x"}"#).expect("parses");
    assert_eq!(c.validate(), Ok(()));
    c.name = "bad name/".into();
    assert!(c.validate().expect_err("bad name").contains("`name`"));
    c.name = "ok".into();
    c.timeout = Duration::ZERO;
    assert!(
        c.validate()
            .expect_err("zero timeout")
            .contains("`timeout`")
    );
    c.timeout = DEFAULT_TIMEOUT;
    c.throughput = Some(Throughput {
        per_second: 0,
        burst: 1,
    });
    assert!(c.validate().expect_err("zero rate").contains("per_second"));
    c.throughput = None;
    c.fallback_after = Some(Duration::ZERO);
    assert!(
        c.validate()
            .expect_err("zero fallback_after")
            .contains("`fallback_after`")
    );
    c.fallback_after = Some(Duration::from_secs(300));
    assert_eq!(c.validate(), Ok(()));
}

#[test]
fn libraries_resolve_against_the_adapters_dir() {
    let dir = Path::new("/opt/gw");
    let so = format!(
        "{}adapter_mock{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    );
    assert_eq!(resolve_library(dir, "adapter_mock"), dir.join(&so));
    assert_eq!(resolve_library(dir, &so), dir.join(&so));
    assert_eq!(resolve_library(dir, "sub/libx.so"), dir.join("sub/libx.so"));
    assert_eq!(
        resolve_library(dir, "/abs/libx.so"),
        PathBuf::from("/abs/libx.so")
    );
}

#[test]
fn a_missing_library_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config: AdapterInstanceConfig =
        serde_json::from_str(r#"{"name":"a","library":"libnothing.so"}"#).expect("parses");
    let err = Adapters::load(dir.path(), &[config], &host()).expect_err("missing");
    let path = dir.path().join("libnothing.so");
    assert!(
        matches!(&err, LoadError::Missing { path: p } if *p == path),
        "{err:?}"
    );
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
    let err = check_library(&path).expect_err("missing");
    assert!(matches!(err, LoadError::Missing { .. }));
}

#[test]
fn a_file_that_is_not_a_library_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("libfake.so");
    std::fs::write(&path, b"not an ELF file").expect("write");
    let err = check_library(&path).expect_err("not a library");
    assert!(
        matches!(&err, LoadError::Open { path: p, .. } if *p == path),
        "{err:?}"
    );
}

#[test]
fn a_refused_setting_is_said_once_in_the_start_up_error() {
    // `gateway serve` prints start-up errors as an anyhow chain (`{:#}`): the adapter's
    // reason must not be both in the message and its `source()`.
    let reason = "secret refers to environment variable `TOKEN`, which is not set";
    let err = LoadError::Create {
        instance: "telegram".into(),
        path: PathBuf::from("/lib/libadapter_telegram.so"),
        error: AdapterError::config(reason),
    };
    let text = format!("{:#}", anyhow::Error::from(err).context("loading adapters"));
    assert_eq!(text.matches(reason).count(), 1, "{text}");
    assert!(text.contains("`telegram`"), "{text}");
}

#[test]
fn the_registry_finds_by_name_and_refuses_duplicates() {
    let a: Arc<dyn AdapterInstance> = Arc::new(InProcess::new("a", Slow, DEFAULT_TIMEOUT));
    let b: Arc<dyn AdapterInstance> = Arc::new(InProcess::new("b", Slow, DEFAULT_TIMEOUT));
    let adapters = Adapters::from_instances(vec![a.clone(), b]);
    assert_eq!(adapters.get("a").map(|x| x.kind()), Some("slow"));
    assert!(adapters.get("c").is_none());
    assert_eq!(
        adapters.iter().map(|x| x.name()).collect::<Vec<_>>(),
        ["a", "b"]
    );
    let dup = Adapters::try_from_instances(vec![a.clone(), a]).expect_err("duplicate");
    assert!(matches!(dup, LoadError::DuplicateName(n) if n == "a"));
}

#[tokio::test]
async fn in_process_sends_apply_the_shorter_deadline_and_catch_panics() {
    let inst = InProcess::<Slow>::create(
        "s",
        serde_json::json!({"ok": true}),
        &host(),
        Duration::from_millis(50),
    )
    .expect("creates");
    // The adapter sees the effective deadline.
    assert_eq!(
        inst.send(request("+1", 0))
            .await
            .expect("ok")
            .provider_message_id,
        "50"
    );
    assert_eq!(
        inst.send(request("+1", 20))
            .await
            .expect("ok")
            .provider_message_id,
        "20"
    );
    let err = inst
        .send(request("+1stall", 10_000))
        .await
        .expect_err("stall");
    assert!(
        matches!(&err, AdapterError::Timeout { message } if message.contains("50 ms")),
        "{err:?}"
    );
    let err = inst.send(request("+1panic", 0)).await.expect_err("panic");
    assert_eq!(err.kind(), "internal");
    assert_eq!(inst.inflight(), 0);
    assert!(
        InProcess::<Slow>::create("s", serde_json::json!({}), &host(), DEFAULT_TIMEOUT).is_err()
    );
}
