//! Sends and pre-checks against the fake Gateway API.

use super::{TOKEN, adapter_for, send_request};
use fake_providers::telegram::{Behaviour, FakeTelegram};
use gateway_sdk::{Adapter, AdapterError, Capabilities, Channel, DeliveryStatus};
use serde_json::json;
use std::time::Duration;

const PHONE: &str = "+79991234567";

#[tokio::test]
async fn accepted_send_speaks_the_documented_protocol() {
    let fake = FakeTelegram::start(TOKEN);
    let adapter = adapter_for(&fake.base_url, TOKEN);
    assert_eq!(
        adapter.capabilities(),
        Capabilities {
            channels: vec![Channel::Telegram],
            reachability_check: true,
            delivery_reports: true,
            provider_renders_text: true,
            codes: Some(gateway_sdk::CodeRule {
                min_len: 4,
                max_len: 8,
                digits_only: true,
            }),
        }
    );
    let result = adapter
        .send(send_request("msg_1", PHONE))
        .await
        .expect("accepted");
    assert!(
        result.provider_message_id.starts_with("tgreq_"),
        "{result:?}"
    );
    assert_eq!(result.status, DeliveryStatus::Queued);
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.path, "/sendVerificationMessage");
    assert_eq!(
        r.authorization.as_deref(),
        Some("Bearer test-gateway-token")
    );
    assert_eq!(r.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        r.body,
        json!({ "phone_number": PHONE, "code": "482193", "ttl": 300, "payload": "msg_1",
                "callback_url": "https://gw.example/v1/callbacks/telegram-main" })
    );
    assert_eq!(fake.last_code(PHONE).as_deref(), Some("482193"));
    assert_eq!(fake.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn precheck_request_id_is_sent_back_so_telegram_charges_once() {
    let fake = FakeTelegram::start(TOKEN);
    let adapter = adapter_for(&fake.base_url, TOKEN);
    let reach = adapter.check_reachable(PHONE).await.expect("answered");
    assert!(reach.reachable);
    let precheck = reach.precheck_ref.expect("request_id");
    let mut req = send_request("msg_2", PHONE);
    req.precheck_ref = Some(precheck.clone());
    let sent = adapter.send(req.clone()).await.expect("accepted");
    assert_eq!(sent.provider_message_id, precheck);
    let requests = fake.requests();
    assert_eq!(requests[0].path, "/checkSendAbility");
    assert_eq!(requests[0].body, json!({ "phone_number": PHONE }));
    assert_eq!(requests[1].body["request_id"], json!(precheck));
    // A resend with the spent id is refused by Telegram; the adapter sends without it.
    let again = adapter.send(req).await.expect("accepted on retry");
    assert_ne!(again.provider_message_id, precheck);
    let requests = fake.requests();
    assert_eq!(requests.len(), 4);
    assert!(requests[3].body.get("request_id").is_none());
    assert_eq!(fake.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn phone_without_telegram_is_not_reachable_and_send_moves_on() {
    let fake = FakeTelegram::start(TOKEN);
    fake.set_phone_behaviour(PHONE, Behaviour::not_on_telegram());
    let adapter = adapter_for(&fake.base_url, TOKEN);
    let reach = adapter.check_reachable(PHONE).await.expect("answered");
    assert!(!reach.reachable && reach.precheck_ref.is_none());
    let other = adapter
        .check_reachable("+79990000000")
        .await
        .expect("answered");
    assert!(other.reachable);
    let err = adapter
        .send(send_request("msg_3", PHONE))
        .await
        .unwrap_err();
    assert!(matches!(err, AdapterError::Unreachable { .. }), "{err:?}");
    assert!(err.try_next_channel());
    assert_eq!(fake.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn bad_code_never_reaches_telegram() {
    let fake = FakeTelegram::start(TOKEN);
    let adapter = adapter_for(&fake.base_url, TOKEN);
    let mut req = send_request("msg_4", PHONE);
    req.code = "ABC123".into();
    assert!(matches!(
        adapter.send(req).await,
        Err(AdapterError::Unreachable { .. })
    ));
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn wrong_token_is_auth_and_marks_the_instance_down_until_a_success() {
    let fake = FakeTelegram::start(TOKEN);
    let bad = adapter_for(&fake.base_url, "wrong-token");
    let err = bad.send(send_request("msg_5", PHONE)).await.unwrap_err();
    assert!(matches!(err, AdapterError::Auth { .. }), "{err:?}");
    assert!(!bad.health().await.up);
    // The pre-check surfaces auth problems as errors, not as "unreachable".
    assert!(matches!(
        bad.check_reachable(PHONE).await,
        Err(AdapterError::Auth { .. })
    ));
    let good = adapter_for(&fake.base_url, TOKEN);
    fake.set_behaviour(Behaviour::fail(401, "ACCESS_TOKEN_INVALID"));
    assert!(good.send(send_request("msg_6", PHONE)).await.is_err());
    assert!(!good.health().await.up);
    fake.set_behaviour(Behaviour::Accept);
    good.send(send_request("msg_7", PHONE))
        .await
        .expect("accepted");
    assert!(good.health().await.up);
    assert_eq!(fake.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn provider_failures_map_to_routing_kinds() {
    let fake = FakeTelegram::start(TOKEN);
    let adapter = adapter_for(&fake.base_url, TOKEN);
    let cases = [
        (Behaviour::fail(429, "FLOOD_WAIT_5"), "throttled"),
        (Behaviour::fail(500, "INTERNAL_SERVER_ERROR"), "transient"),
        (Behaviour::fail(400, "PHONE_NUMBER_INVALID"), "rejected"),
        (Behaviour::fail(400, "BALANCE_NOT_ENOUGH"), "account"),
        (Behaviour::Malformed, "transient"),
    ];
    for (behaviour, kind) in cases {
        fake.set_behaviour(behaviour.clone());
        let err = adapter
            .send(send_request("msg_8", PHONE))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), kind, "{behaviour:?} gave {err:?}");
    }
    // A pre-check that hits a server fault is an error, not "unreachable".
    fake.set_behaviour(Behaviour::fail(503, ""));
    assert!(matches!(
        adapter.check_reachable(PHONE).await,
        Err(AdapterError::Transient { .. })
    ));
    assert_eq!(fake.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn stall_past_the_deadline_is_a_timeout() {
    let fake = FakeTelegram::start(TOKEN);
    fake.set_behaviour(Behaviour::Stall(Duration::from_secs(30)));
    let adapter = adapter_for(&fake.base_url, TOKEN);
    let mut req = send_request("msg_9", PHONE);
    req.deadline_ms = 200;
    let outcome = tokio::time::timeout(Duration::from_secs(10), adapter.send(req))
        .await
        .expect("the adapter honours deadline_ms");
    assert!(
        matches!(outcome, Err(AdapterError::Timeout { .. })),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn connection_refused_is_transient() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let adapter = adapter_for(&format!("http://127.0.0.1:{port}"), TOKEN);
    let err = adapter
        .send(send_request("msg_10", PHONE))
        .await
        .unwrap_err();
    assert!(matches!(err, AdapterError::Transient { .. }), "{err:?}");
}

#[tokio::test]
async fn the_fake_records_protocol_violations() {
    let fake = FakeTelegram::start(TOKEN);
    let http = gateway_sdk::http::reqwest::Client::new();
    let url = format!("{}/sendVerificationMessage", fake.base_url);
    // Missing auth, extra field, out-of-range ttl, wrong path, form body.
    let body = json!({ "phone_number": PHONE, "code": "1234", "ttl": 60 });
    http.post(&url).json(&body).send().await.expect("answered");
    let mut extra = body.clone();
    extra["code_length"] = json!(6);
    let r = http
        .post(&url)
        .bearer_auth(TOKEN)
        .json(&extra)
        .send()
        .await
        .expect("answered");
    assert_eq!(r.status(), 400);
    let mut ttl = body.clone();
    ttl["ttl"] = json!(5);
    http.post(&url)
        .bearer_auth(TOKEN)
        .json(&ttl)
        .send()
        .await
        .expect("answered");
    http.post(format!("{}/sendMessage", fake.base_url))
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .expect("answered");
    http.post(&url)
        .bearer_auth(TOKEN)
        .body("phone_number=%2B7")
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .expect("answered");
    let v = fake.violations();
    assert_eq!(v.len(), 5, "{v:#?}");
    assert!(
        v[0].contains("Bearer") && v[1].contains("code_length") && v[2].contains("ttl"),
        "{v:#?}"
    );
    assert!(
        v[3].contains("no such") && v[4].contains("application/json"),
        "{v:#?}"
    );
}
