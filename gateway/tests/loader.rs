//! The host loader against the real adapter libraries `cargo build --workspace` builds:
//! `libadapter_mock.so` and the ABI-mismatch fixture.

use gateway::adapters::{AdapterInstanceConfig, Adapters, HostContext, LoadError, check_library};
use gateway_sdk::{AdapterError, SendRequest};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// `target/debug`, found from this test binary (`target/debug/deps/loader-…`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    exe.parent()
        .and_then(Path::parent)
        .expect("target/debug/deps/..")
        .to_path_buf()
}

fn library(name: &str) -> PathBuf {
    let file = format!(
        "{}{name}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    );
    let path = target_dir().join(file);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace` first",
        path.display()
    );
    path
}

fn instance(name: &str, settings: serde_json::Value, timeout: Duration) -> AdapterInstanceConfig {
    AdapterInstanceConfig {
        name: name.into(),
        library: "adapter_mock".into(),
        settings,
        timeout,
        throughput: None,
        max_inflight: 256,
        fallback_after: None,
    }
}

fn load(dir: &Path, instances: &[AdapterInstanceConfig]) -> Result<Adapters, LoadError> {
    library("adapter_mock");
    let ctx = HostContext {
        data_dir: dir.to_path_buf(),
        public_url: None,
        reports: None,
    };
    Adapters::load(&target_dir(), instances, &ctx)
}

fn request(phone: &str, id: usize, deadline_ms: u64) -> SendRequest {
    SendRequest {
        message_id: format!("msg_{id}"),
        phone: phone.into(),
        text: "Confirmation code: 4821".into(),
        code: "4821".into(),
        title: None,
        language: "en".into(),
        sender_id: None,
        code_ttl_secs: 300,
        deadline_ms,
        idempotency_key: format!("idem-{id}"),
        callback_url: None,
        precheck_ref: None,
        encoding: None,
        segments: None,
    }
}

fn outbox_lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .expect("outbox written")
        .lines()
        .map(|l| serde_json::from_str(l).expect("whole JSON lines"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_sends_each_complete_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let adapters = load(
        dir.path(),
        &[instance(
            "mock-a",
            serde_json::json!({}),
            Duration::from_secs(30),
        )],
    )
    .expect("loads the mock");
    let mock = adapters.get("mock-a").expect("registered").clone();
    assert_eq!(
        (mock.kind(), mock.abi_version()),
        ("mock", gateway_sdk::abi::ABI_VERSION)
    );
    assert_eq!(mock.library(), Some(library("adapter_mock").as_path()));
    let sends = (0..1000).map(|i| {
        let mock = mock.clone();
        tokio::spawn(async move { mock.send(request("+15550001111", i, 30_000)).await })
    });
    let results = futures::future::join_all(sends).await;
    let mut ids = std::collections::HashSet::new();
    for r in results {
        ids.insert(r.expect("task").expect("accepted").provider_message_id);
    }
    assert_eq!(ids.len(), 1000);
    assert_eq!(mock.inflight(), 0);
    let lines = outbox_lines(&dir.path().join("mock-outbox.jsonl"));
    assert_eq!(lines.len(), 1000);
    let messages: std::collections::HashSet<_> =
        lines.iter().map(|l| l["message_id"].clone()).collect();
    assert_eq!(messages.len(), 1000);
}

#[tokio::test]
async fn instances_share_a_library_with_their_own_settings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let adapters = load(
        dir.path(),
        &[
            instance("sms", serde_json::json!({"outbox": dir.path().join("sms.jsonl")}), Duration::from_secs(5)),
            instance(
                "tg",
                serde_json::json!({"channel": "telegram", "outbox": dir.path().join("tg.jsonl"), "reject_numbers": ["+1999"]}),
                Duration::from_secs(5),
            ),
        ],
    )
    .expect("loads both");
    assert_eq!(
        adapters.iter().map(|a| a.name()).collect::<Vec<_>>(),
        ["sms", "tg"]
    );
    let tg = adapters.get("tg").expect("tg");
    assert_eq!(
        tg.capabilities().channels,
        vec![gateway_sdk::Channel::Telegram]
    );
    assert!(matches!(
        tg.send(request("+1999", 1, 1000)).await,
        Err(AdapterError::Rejected { .. })
    ));
    let sms = adapters.get("sms").expect("sms");
    sms.send(request("+1999", 2, 1000))
        .await
        .expect("sms accepts");
    assert_eq!(
        outbox_lines(&dir.path().join("sms.jsonl"))[0]["channel"],
        "sms"
    );
    assert!(sms.health().await.up);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_send_is_an_error_and_the_instance_keeps_serving() {
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = serde_json::json!({"panic_numbers": ["+1666"]});
    let adapters = load(
        dir.path(),
        &[instance("p", settings, Duration::from_secs(10))],
    )
    .expect("loads");
    let mock = adapters.get("p").expect("p").clone();
    let sends = (0..50).map(|i| {
        let mock = mock.clone();
        let phone = if i % 5 == 0 { "+1666" } else { "+1555" };
        tokio::spawn(async move { (phone, mock.send(request(phone, i, 10_000)).await) })
    });
    for r in futures::future::join_all(sends).await {
        match r.expect("task") {
            ("+1666", Err(AdapterError::Internal { message })) => {
                // The panic's text goes to the log only; callers get a sentence.
                assert!(message.contains("failed internally"), "{message}");
                assert!(!message.contains("panic_numbers"), "{message}");
            }
            ("+1555", Ok(_)) => {}
            other => panic!("unexpected outcome {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_stalled_send_times_out_at_the_deadline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = serde_json::json!({"stall_numbers": ["+1000"]});
    let adapters = load(
        dir.path(),
        &[
            instance("short", settings.clone(), Duration::from_millis(200)),
            instance("long", settings, Duration::from_secs(60)),
        ],
    )
    .expect("loads");
    // The instance's timeout caps a generous request deadline ...
    let err = adapters
        .get("short")
        .expect("short")
        .send(request("+1000", 1, 60_000))
        .await;
    assert!(
        matches!(&err, Err(AdapterError::Timeout { message }) if message.contains("within 200 ms")),
        "{err:?}"
    );
    // ... and a short request deadline caps a generous timeout (the mock stalls past it).
    let err = adapters
        .get("long")
        .expect("long")
        .send(request("+1000", 2, 200))
        .await;
    assert!(
        matches!(&err, Err(AdapterError::Timeout { message }) if message.contains("within 200 ms")),
        "{err:?}"
    );
    assert_eq!(adapters.get("long").expect("long").inflight(), 0);
}

#[test]
fn a_library_of_another_abi_version_is_refused_before_it_runs() {
    let path = library("abi_mismatch_fixture");
    let err = check_library(&path).expect_err("refused");
    assert!(
        matches!(
            err,
            LoadError::AbiMismatch {
                expected: 1,
                found: 999,
                ..
            }
        ),
        "{err:?}"
    );
    let text = err.to_string();
    for needle in [
        path.display().to_string().as_str(),
        "version 999",
        "expects version 1",
    ] {
        assert!(text.contains(needle), "{text:?} should mention {needle:?}");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = instance("old", serde_json::json!({}), Duration::from_secs(1));
    config.library = path.display().to_string();
    assert!(matches!(
        load(dir.path(), &[config]),
        Err(LoadError::AbiMismatch { .. })
    ));
}

#[test]
fn a_missing_library_is_refused_naming_the_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = instance("gone", serde_json::json!({}), Duration::from_secs(1));
    config.library = dir.path().join("libgone.so").display().to_string();
    let err = load(dir.path(), &[config]).expect_err("missing");
    assert!(
        err.to_string()
            .contains(&dir.path().join("libgone.so").display().to_string()),
        "{err}"
    );
}

#[test]
fn bad_settings_are_refused_naming_the_instance_and_setting() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = load(
        dir.path(),
        &[instance(
            "typo",
            serde_json::json!({"latncy": 5}),
            Duration::from_secs(1),
        )],
    )
    .expect_err("refused");
    let text = err.to_string();
    assert!(
        matches!(err, LoadError::Create { .. })
            && text.contains("`typo`")
            && text.contains("latncy"),
        "{text}"
    );
}

#[test]
fn check_library_reports_the_mock() {
    let info = check_library(&library("adapter_mock")).expect("valid");
    assert_eq!(
        (info.kind.as_str(), info.abi_version),
        ("mock", gateway_sdk::abi::ABI_VERSION)
    );
    assert!(!info.version.is_empty() && !info.sdk_version.is_empty());
}

#[test]
fn adapter_log_lines_are_re_emitted_with_the_instance_name() {
    #[derive(Clone, Default)]
    struct Buffer(Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Buffer {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let dir = tempfile::tempdir().expect("tempdir");
    tracing::subscriber::with_default(subscriber, || {
        load(
            dir.path(),
            &[instance(
                "logs-inst",
                serde_json::json!({}),
                Duration::from_secs(1),
            )],
        )
        .expect("loads")
    });
    let logged = String::from_utf8(buffer.0.lock().expect("lock").clone()).expect("utf8");
    let line = logged
        .lines()
        .find(|l| l.contains("mock adapter ready"))
        .unwrap_or_else(|| panic!("{logged}"));
    assert!(
        line.contains("adapter=\"logs-inst\"") || line.contains("adapter=logs-inst"),
        "{line}"
    );
}
