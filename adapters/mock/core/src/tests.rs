//! The mock's settings, faults, outbox and callbacks, called through the trait.

use super::*;
use gateway_sdk::Channel;

fn ctx(dir: &Path) -> CreateContext {
    CreateContext {
        instance: "mock-test".into(),
        data_dir: dir.to_string_lossy().into_owned(),
        public_url: None,
    }
}

fn mock(dir: &Path, settings: serde_json::Value) -> MockAdapter {
    MockAdapter::create(settings, ctx(dir)).expect("valid settings")
}

fn request(phone: &str, id: &str) -> SendRequest {
    SendRequest {
        message_id: id.into(),
        phone: phone.into(),
        text: "Confirmation code: 4821".into(),
        code: "4821".into(),
        title: None,
        language: "en".into(),
        sender_id: None,
        code_ttl_secs: 300,
        deadline_ms: 50,
        idempotency_key: format!("idem-{id}"),
        callback_url: None,
        precheck_ref: None,
        encoding: None,
        segments: None,
    }
}

fn lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .expect("outbox exists")
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

#[test]
fn settings_parse_durations_and_refuse_unknown_keys() {
    let s = MockSettings::parse(serde_json::json!({"latency": 25})).expect("ms");
    assert_eq!(s.latency, Duration::from_millis(25));
    let s = MockSettings::parse(serde_json::json!({"latency": "1s 5ms", "channel": "telegram"}))
        .expect("humantime");
    assert_eq!(
        (s.latency, s.channel),
        (Duration::from_millis(1005), Channel::Telegram)
    );
    let err = MockSettings::parse(serde_json::json!({"latncy": 1})).expect_err("typo");
    assert!(err.contains("latncy"), "{err}");
    let err = MockSettings::parse(serde_json::json!({"failure_rate": 1.5})).expect_err("range");
    assert!(err.contains("failure_rate"), "{err}");
    let err = MockAdapter::create(
        serde_json::json!({"latency": "soon"}),
        ctx(Path::new("/tmp")),
    )
    .expect_err("bad latency");
    assert_eq!(err.kind(), "config");
}

#[tokio::test]
async fn accepted_messages_are_appended_to_the_default_outbox() {
    let dir = tempfile::tempdir().expect("tempdir");
    let m = mock(dir.path(), serde_json::json!({"channel": "whatsapp"}));
    assert_eq!(m.outbox_path(), dir.path().join(DEFAULT_OUTBOX));
    assert_eq!(m.capabilities().channels, vec![Channel::Whatsapp]);
    let r = m
        .send(request("+79991234567", "msg_1"))
        .await
        .expect("accepted");
    let got = lines(m.outbox_path());
    assert_eq!(got.len(), 1);
    let line = &got[0];
    assert_eq!(line["to"], "+79991234567");
    assert_eq!(line["code"], "4821");
    assert_eq!(line["text"], "Confirmation code: 4821");
    assert_eq!(line["channel"], "whatsapp");
    assert_eq!(line["message_id"], "msg_1");
    assert_eq!(line["idempotency_key"], "idem-msg_1");
    assert_eq!(line["provider_message_id"], r.provider_message_id.as_str());
    let at = line["at"].as_str().expect("at is a string");
    time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
        .expect("at is RFC 3339");
}

#[tokio::test]
async fn concurrent_sends_never_interleave_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let outbox = dir.path().join("nested/out.jsonl");
    let m = std::sync::Arc::new(mock(dir.path(), serde_json::json!({"outbox": outbox})));
    let sends = (0..300).map(|i| {
        let m = m.clone();
        tokio::spawn(async move { m.send(request("+15550001111", &format!("msg_{i}"))).await })
    });
    for s in futures::future::join_all(sends).await {
        s.expect("task").expect("accepted");
    }
    let got = lines(&outbox);
    assert_eq!(got.len(), 300);
    let ids: std::collections::HashSet<_> = got.iter().map(|l| l["message_id"].clone()).collect();
    assert_eq!(ids.len(), 300);
}

#[tokio::test]
async fn listed_numbers_get_their_fault() {
    let dir = tempfile::tempdir().expect("tempdir");
    let m = mock(
        dir.path(),
        serde_json::json!({
            "reject_numbers": ["+1001"], "unreachable_numbers": ["+1002"],
            "throttle_numbers": ["+1003"], "malformed_numbers": ["+1004"],
            "stall_numbers": ["+1005"], "reachability_check": true
        }),
    );
    let kind = |r: Result<SendResult, AdapterError>| r.expect_err("fault").kind();
    assert_eq!(kind(m.send(request("+1001", "a")).await), "rejected");
    assert_eq!(kind(m.send(request("+1002", "b")).await), "unreachable");
    assert_eq!(kind(m.send(request("+1003", "c")).await), "throttled");
    assert_eq!(kind(m.send(request("+1004", "d")).await), "transient");
    assert_eq!(kind(m.send(request("+1005", "e")).await), "timeout");
    assert!(!m.check_reachable("+1002").await.expect("answer").reachable);
    assert!(m.check_reachable("+1009").await.expect("answer").reachable);
    assert!(!m.outbox_path().exists() || lines(m.outbox_path()).is_empty());
}

#[tokio::test]
async fn failure_rate_one_always_fails_and_zero_never_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    let always = mock(dir.path(), serde_json::json!({"failure_rate": 1.0}));
    for i in 0..20 {
        let err = always
            .send(request("+1", &i.to_string()))
            .await
            .expect_err("fails");
        assert_eq!(err.kind(), "transient");
    }
    let never = mock(dir.path(), serde_json::json!({"failure_rate": 0.0}));
    for i in 0..20 {
        never
            .send(request("+1", &i.to_string()))
            .await
            .expect("succeeds");
    }
}

fn report(body: &str, signature: &str) -> CallbackRequest {
    CallbackRequest {
        method: "POST".into(),
        url: "http://127.0.0.1/v1/callbacks/mock".into(),
        headers: vec![(callback::SIGNATURE_HEADER.into(), signature.into())],
        body: body.into(),
        received_at: time::OffsetDateTime::UNIX_EPOCH,
    }
}

#[test]
fn callbacks_are_verified_and_parsed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let m = mock(dir.path(), serde_json::json!({"callback_secret": "s3cret"}));
    let body = r#"{"provider_message_id":"mock_1","status":"delivered"}"#;
    let out = m
        .parse_callback(&report(body, &callback::sign("s3cret", body)))
        .expect("valid");
    assert_eq!(out.updates.len(), 1);
    assert_eq!(out.updates[0].provider_message_id, "mock_1");
    assert_eq!(out.updates[0].status, DeliveryStatus::Delivered);
    let forged = m.parse_callback(&report(body, &callback::sign("other", body)));
    assert!(
        matches!(forged, Err(CallbackError::Signature { .. })),
        "{forged:?}"
    );
    let not_hex = m.parse_callback(&report(body, "zz"));
    assert!(matches!(not_hex, Err(CallbackError::Signature { .. })));
    let bad = "{nope";
    let malformed = m.parse_callback(&report(bad, &callback::sign("s3cret", bad)));
    assert!(matches!(malformed, Err(CallbackError::Malformed { .. })));
    let plain = mock(dir.path(), serde_json::json!({}));
    assert_eq!(
        plain.parse_callback(&report(body, "")),
        Err(CallbackError::Unsupported)
    );
}
