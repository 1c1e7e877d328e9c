//! Sends against the fake Cloud API.

use super::{adapter_for, send_request};
use crate::WhatsAppAdapter;
use fake_providers::whatsapp::{Behaviour, FakeAccount, FakeWhatsApp};
use gateway_sdk::{Adapter, AdapterError, Capabilities, Channel, DeliveryStatus};
use serde_json::json;
use std::time::Duration;

const PHONE: &str = "+79991234567";

#[tokio::test]
async fn accepted_send_speaks_the_documented_protocol() {
    let fake = FakeWhatsApp::start(FakeAccount::default());
    let adapter = adapter_for(&fake);
    assert_eq!(
        adapter.capabilities(),
        Capabilities {
            channels: vec![Channel::Whatsapp],
            reachability_check: false,
            delivery_reports: true,
            provider_renders_text: true,
            codes: None,
        }
    );
    let mut req = send_request("msg_1", PHONE);
    req.language = "ru".into();
    let result = adapter.send(req).await.expect("accepted");
    assert!(
        result.provider_message_id.starts_with("wamid."),
        "{result:?}"
    );
    assert_eq!(result.status, DeliveryStatus::Queued);
    let r = &fake.requests()[0];
    assert_eq!(r.path, "/v23.0/106540352242922/messages");
    assert_eq!(r.authorization.as_deref(), Some("Bearer EAAG-test-token"));
    assert_eq!(r.content_type.as_deref(), Some("application/json"));
    assert_eq!(r.body["to"], json!("79991234567"));
    assert_eq!(r.body["template"]["language"]["code"], json!("ru"));
    assert_eq!(fake.last_code(PHONE).as_deref(), Some("482193"));
    assert_eq!(fake.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn graph_errors_map_to_routing_kinds() {
    let fake = FakeWhatsApp::start(FakeAccount::default());
    let adapter = adapter_for(&fake);
    fake.set_phone_behaviour(PHONE, Behaviour::not_on_whatsapp());
    let err = adapter
        .send(send_request("msg_2", PHONE))
        .await
        .unwrap_err();
    assert!(matches!(err, AdapterError::Unreachable { .. }), "{err:?}");
    let cases = [
        (Behaviour::fail(400, 130429, "Rate limit hit"), "throttled"),
        (
            Behaviour::fail(400, 131056, "Pair rate limit hit"),
            "throttled",
        ),
        (Behaviour::fail(400, 132015, "Template is paused"), "config"),
        (
            Behaviour::fail(500, 131000, "Something went wrong"),
            "transient",
        ),
        (
            Behaviour::fail(503, 2, "Service temporarily unavailable"),
            "transient",
        ),
        (Behaviour::Malformed, "transient"),
    ];
    for (behaviour, kind) in cases {
        fake.set_behaviour(behaviour.clone());
        let err = adapter
            .send(send_request("msg_3", "+79990000000"))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), kind, "{behaviour:?} gave {err:?}");
    }
    assert_eq!(fake.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn wrong_token_or_unknown_template_marks_the_instance_down() {
    let fake = FakeWhatsApp::start(FakeAccount::default());
    let mut settings = fake.adapter_settings("v");
    settings["access_token"] = json!("expired");
    let bad = WhatsAppAdapter::create(settings, super::ctx()).expect("valid settings");
    let err = bad.send(send_request("msg_4", PHONE)).await.unwrap_err();
    assert!(matches!(err, AdapterError::Auth { .. }), "{err:?}");
    assert!(!bad.health().await.up);
    let mut settings = fake.adapter_settings("v");
    settings["template_name"] = json!("not_approved");
    let unapproved = WhatsAppAdapter::create(settings, super::ctx()).expect("valid settings");
    let err = unapproved
        .send(send_request("msg_5", PHONE))
        .await
        .unwrap_err();
    assert!(matches!(err, AdapterError::Config { .. }), "{err:?}");
    assert!(!unapproved.health().await.up);
    let good = adapter_for(&fake);
    good.send(send_request("msg_6", PHONE))
        .await
        .expect("accepted");
    assert!(good.health().await.up);
    assert_eq!(fake.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn stall_past_the_deadline_is_a_timeout() {
    let fake = FakeWhatsApp::start(FakeAccount::default());
    fake.set_behaviour(Behaviour::Stall(Duration::from_secs(30)));
    let adapter = adapter_for(&fake);
    let mut req = send_request("msg_7", PHONE);
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
async fn too_long_code_never_reaches_meta() {
    let fake = FakeWhatsApp::start(FakeAccount::default());
    let adapter = adapter_for(&fake);
    let mut req = send_request("msg_8", PHONE);
    req.code = "1234567890123456".into();
    assert!(matches!(
        adapter.send(req).await,
        Err(AdapterError::Rejected { .. })
    ));
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn the_fake_records_protocol_violations() {
    let fake = FakeWhatsApp::start(FakeAccount::default());
    let http = gateway_sdk::http::reqwest::Client::new();
    let url = format!("{}/v23.0/106540352242922/messages", fake.base_url);
    let good = json!({
        "messaging_product": "whatsapp", "to": "79991234567", "type": "template",
        "template": { "name": "otp_code", "language": { "code": "en_US" }, "components": [
            { "type": "body", "parameters": [{ "type": "text", "text": "1234" }] },
            { "type": "button", "sub_type": "url", "index": "0",
              "parameters": [{ "type": "text", "text": "1234" }] } ] }
    });
    let token = "EAAG-test-token";
    let ok = http
        .post(&url)
        .bearer_auth(token)
        .json(&good)
        .send()
        .await
        .expect("answered");
    assert_eq!(ok.status(), 200);
    http.post(&url).json(&good).send().await.expect("answered"); // no token
    let mut extra = good.clone();
    extra["text"] = json!({ "body": "hi" });
    http.post(&url)
        .bearer_auth(token)
        .json(&extra)
        .send()
        .await
        .expect("answered");
    let mut one_code = good.clone();
    one_code["template"]["components"][1]["parameters"][0]["text"] = json!("9999");
    http.post(&url)
        .bearer_auth(token)
        .json(&one_code)
        .send()
        .await
        .expect("answered");
    http.post(format!("{}/v19.0/106540352242922/messages", fake.base_url))
        .bearer_auth(token)
        .json(&good)
        .send()
        .await
        .expect("answered");
    let v = fake.violations();
    assert_eq!(v.len(), 4, "{v:#?}");
    assert!(
        v[0].contains("access token") && v[1].contains("text") && v[2].contains("same"),
        "{v:#?}"
    );
    assert!(v[3].contains("v19.0"), "{v:#?}");
}
