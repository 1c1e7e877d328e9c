//! Fallback after a late delivery failure, through the whole in-process app on a manual
//! clock: a chatbot channel (an in-process mock as WhatsApp, with delivery reports)
//! accepts, then a report says it failed; within `routing.late_fallback_window` the
//! same code goes once through the next channel (the mock as SMS), without spending the
//! phone's quotas, and is recorded; after the window, or with no next channel, nothing
//! is sent. The sealed code leaves the stored record when it is used or its window
//! closes. Reports are applied with the same function callbacks and pushes use.

// Test helpers may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

#[path = "support/harness.rs"]
mod harness;
use harness::{Harness, call, harness_with};

use actix_web::{test, web};
use gateway::app::build_app;
use gateway::flows::reports::{Applied, apply_updates};
use gateway::store::Ns;
use gateway_sdk::{DeliveryStatus, StatusUpdate};
use serde_json::json;

const PHONE: &str = "+79991234567";
const CODE: &str = "48213579";

/// `wa` (WhatsApp, reports delivery, own outbox) then `mock` (SMS, the harness's
/// outbox) for location 42; one send per phone per hour, so a second send would be
/// refused: the fallback must not spend it.
async fn setup(channels: &[&str]) -> (Harness, impl Fn() -> Vec<String>) {
    setup_with(channels, "").await
}

/// [`setup`] with `toml` added to the config.
async fn setup_with(channels: &[&str], toml: &str) -> (Harness, impl Fn() -> Vec<String>) {
    let h = harness_with(
        &format!("[limits]\nphone_per_hour = 1\n{toml}"),
        &[
            ("mock", json!({})),
            (
                "wa",
                json!({ "channel": "whatsapp", "delivery_reports": true, "outbox": "wa-outbox.jsonl" }),
            ),
        ],
    )
    .await;
    let app = test::init_service(build_app(web::Data::new(h.state.clone()))).await;
    let (s, body, _) = call(
        &app,
        "PUT",
        "/v1/locations/42",
        Some(json!({ "location_name": "L", "country": "RU", "channels": channels })),
    )
    .await;
    assert!(s.is_success(), "{body}");
    let dir = h.dir.path().to_owned();
    let wa_codes = move || harness::outbox_codes(&dir.join("data/wa-outbox.jsonl"));
    (h, wa_codes)
}

/// The message record as stored (what a replica or a restart reads), as text.
async fn raw(h: &Harness, id: &str) -> String {
    h.state
        .store
        .get(Ns::Message, id, h.state.now_ms())
        .await
        .unwrap()
        .unwrap()
}

/// Applies one report from `adapter` and waits for the fallbacks it started.
async fn report(h: &Harness, adapter: &str, provider_id: &str, status: DeliveryStatus) -> usize {
    let update = StatusUpdate {
        provider_message_id: provider_id.to_owned(),
        status,
        at: None,
        error_code: Some("131026".into()),
        detail: None,
    };
    let Applied {
        applied, fallbacks, ..
    } = apply_updates(&h.state, adapter, adapter, &[update], true)
        .await
        .unwrap();
    assert_eq!(applied, 1);
    let started = fallbacks.len();
    for f in fallbacks {
        f.await.unwrap();
    }
    started
}

fn fallbacks_metric(h: &Harness) -> Option<String> {
    h.state
        .metrics
        .render()
        .lines()
        .find(|l| l.starts_with("gateway_fallbacks_total{from=\"wa\",to=\"mock\"}"))
        .map(str::to_owned)
}

#[actix_rt::test]
async fn a_failure_inside_the_window_sends_the_same_code_once_through_the_next_channel() {
    let (h, wa_codes) = setup(&["wa", "mock"]).await;
    let app = test::init_service(build_app(web::Data::new(h.state.clone()))).await;
    let send = json!({ "location_id": "42", "phone": PHONE, "code": CODE, "purpose": "login" });
    let (s, sent, _) = call(&app, "POST", "/v1/messages", Some(send.clone())).await;
    assert_eq!(s, 201, "{sent}");
    let id = sent["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (sent["adapter"].as_str(), sent["channel"].as_str()),
        (Some("wa"), Some("whatsapp"))
    );
    assert!(sent.get("late_fallback").is_none(), "{sent}");
    // Stored: the window and the sealed code, never the code or the phone in clear.
    let stored = raw(&h, &id).await;
    assert!(
        stored.contains("late_fallback") && stored.contains("sealed"),
        "{stored}"
    );
    assert!(
        !stored.contains(CODE) && !stored.contains("79991234567"),
        "{stored}"
    );
    let (_, read, _) = call(&app, "GET", &format!("/v1/messages/{id}"), None).await;
    assert!(read.get("late_fallback").is_none(), "{read}");
    // The phone's quota is spent: a second send is refused.
    let (s, _, _) = call(&app, "POST", "/v1/messages", Some(send)).await;
    assert_eq!(s, 429);

    // A delivery report first, then the failure, 119 s after the acceptance.
    let wamid = sent["provider_message_id"].as_str().unwrap();
    assert_eq!(report(&h, "wa", wamid, DeliveryStatus::Sent).await, 0);
    h.clock.advance_secs(119);
    assert_eq!(report(&h, "wa", wamid, DeliveryStatus::Failed).await, 1);
    assert_eq!(h.codes(), [CODE], "the SMS carried the same code");
    assert_eq!(wa_codes(), [CODE]);
    let (_, m, _) = call(&app, "GET", &format!("/v1/messages/{id}"), None).await;
    assert_eq!(
        (m["adapter"].as_str(), m["channel"].as_str()),
        (Some("mock"), Some("sms")),
        "{m}"
    );
    assert_eq!(m["status"], "sent");
    let attempts: Vec<(&str, &str)> = m["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["adapter"].as_str().unwrap(),
                a["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(attempts, [("wa", "sent"), ("mock", "sent")]);
    let last = m["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["adapter"], "mock");
    assert_eq!(last["detail"], "late fallback: wa reported failed", "{m}");
    assert!(m["text"].as_str().unwrap().contains("****"));
    let stored = raw(&h, &id).await;
    assert!(
        !stored.contains("late_fallback"),
        "used, so dropped: {stored}"
    );
    assert!(fallbacks_metric(&h).is_some_and(|l| l.ends_with(" 1")));

    // Once: the old channel's later failures land in the history only, and the new
    // channel's reports move the status.
    assert_eq!(
        report(&h, "wa", wamid, DeliveryStatus::Undelivered).await,
        0
    );
    let new_id = m["provider_message_id"].as_str().unwrap();
    assert_eq!(
        report(&h, "mock", new_id, DeliveryStatus::Delivered).await,
        0
    );
    let (_, m, _) = call(&app, "GET", &format!("/v1/messages/{id}"), None).await;
    assert_eq!(m["status"], "delivered", "{m}");
    assert_eq!(h.codes().len(), 1);
}

#[actix_rt::test]
async fn two_failure_reports_at_once_fall_back_once() {
    let (h, _) = setup(&["wa", "mock"]).await;
    let app = test::init_service(build_app(web::Data::new(h.state.clone()))).await;
    let send = json!({ "location_id": "42", "phone": PHONE, "code": CODE, "purpose": "login" });
    let (_, sent, _) = call(&app, "POST", "/v1/messages", Some(send)).await;
    let wamid = sent["provider_message_id"].as_str().unwrap();
    let (a, b) = tokio::join!(
        report(&h, "wa", wamid, DeliveryStatus::Failed),
        report(&h, "wa", wamid, DeliveryStatus::Expired),
    );
    assert_eq!(a + b, 1, "one claim wins");
    assert_eq!(h.codes(), [CODE]);
}

#[actix_rt::test]
async fn after_the_window_or_without_a_next_channel_nothing_is_sent() {
    let (h, _) = setup(&["wa", "mock"]).await;
    let app = test::init_service(build_app(web::Data::new(h.state.clone()))).await;
    let send = json!({ "location_id": "42", "phone": PHONE, "code": CODE, "purpose": "login" });
    let (_, sent, _) = call(&app, "POST", "/v1/messages", Some(send)).await;
    let id = sent["id"].as_str().unwrap().to_owned();
    h.clock.advance_secs(120);
    let wamid = sent["provider_message_id"].as_str().unwrap();
    assert_eq!(report(&h, "wa", wamid, DeliveryStatus::Failed).await, 0);
    assert!(h.codes().is_empty());
    let (_, m, _) = call(&app, "GET", &format!("/v1/messages/{id}"), None).await;
    assert_eq!(
        (m["status"].as_str(), m["adapter"].as_str()),
        (Some("failed"), Some("wa"))
    );
    assert!(!raw(&h, &id).await.contains("late_fallback"));

    // The only channel: nothing is kept, nothing follows.
    let (h, _) = setup(&["wa"]).await;
    let app = test::init_service(build_app(web::Data::new(h.state.clone()))).await;
    let send = json!({ "location_id": "42", "phone": PHONE, "code": CODE, "purpose": "login" });
    let (_, sent, _) = call(&app, "POST", "/v1/messages", Some(send)).await;
    let id = sent["id"].as_str().unwrap().to_owned();
    assert!(!raw(&h, &id).await.contains("late_fallback"));
    let wamid = sent["provider_message_id"].as_str().unwrap();
    assert_eq!(report(&h, "wa", wamid, DeliveryStatus::Failed).await, 0);
    assert!(fallbacks_metric(&h).is_none());
}

#[actix_rt::test]
async fn a_window_that_closes_unused_drops_the_sealed_code() {
    let (h, _) = setup(&["wa", "mock"]).await;
    let app = test::init_service(build_app(web::Data::new(h.state.clone()))).await;
    let send = json!({ "location_id": "42", "phone": PHONE, "code": CODE, "purpose": "login" });
    let (_, sent, _) = call(&app, "POST", "/v1/messages", Some(send)).await;
    let id = sent["id"].as_str().unwrap().to_owned();
    h.clock.advance_secs(119);
    assert!(gateway::flows::fallback::due(&h.state).await.is_empty());
    assert!(raw(&h, &id).await.contains("sealed"), "still open");
    h.clock.advance_secs(1);
    assert!(gateway::flows::fallback::due(&h.state).await.is_empty());
    let stored = raw(&h, &id).await;
    assert!(
        !stored.contains("late_fallback") && !stored.contains("sealed"),
        "{stored}"
    );
}

#[actix_rt::test]
async fn a_verification_falls_back_and_its_code_still_checks() {
    let (h, wa_codes) = setup(&["wa", "mock"]).await;
    let app = test::init_service(build_app(web::Data::new(h.state.clone()))).await;
    let start = json!({ "location_id": "42", "phone": PHONE, "purpose": "login" });
    let (s, v, _) = call(&app, "POST", "/v1/verifications", Some(start)).await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    let message_id = v["message_id"].as_str().unwrap().to_owned();
    let stored = raw(&h, &message_id).await;
    assert!(stored.contains("late_fallback"), "{stored}");
    assert!(
        !stored.contains("sealed"),
        "a verification's code is re-derived: {stored}"
    );
    let wamid = v["message"]["provider_message_id"].as_str().unwrap();
    h.clock.advance_secs(30);
    assert_eq!(report(&h, "wa", wamid, DeliveryStatus::Failed).await, 1);
    assert_eq!(h.codes(), wa_codes(), "the same code on both channels");
    let (_, v, _) = call(&app, "GET", &format!("/v1/verifications/{id}"), None).await;
    assert_eq!(
        (v["channel"].as_str(), v["adapter"].as_str()),
        (Some("sms"), Some("mock")),
        "{v}"
    );
    assert_eq!(v["sends"], 1, "a fallback is not a resend");
    let code = h.codes().pop().unwrap();
    let (s, ok, _) = call(
        &app,
        "POST",
        &format!("/v1/verifications/{id}/check"),
        Some(json!({ "code": code })),
    )
    .await;
    assert_eq!(s, 200, "{ok}");
    assert_eq!(ok["status"], "approved", "{ok}");
}

#[actix_rt::test]
async fn fallback_after_moves_an_undelivered_message_on_once() {
    let wa = "[[adapters]]\nname = \"wa\"\nlibrary = \"in-process\"\nfallback_after = \"5m\"\n";
    let (h, _) = setup_with(&["wa", "mock"], wa).await;
    let app = test::init_service(build_app(web::Data::new(h.state.clone()))).await;
    let send = |phone: &str| json!({ "location_id": "42", "phone": phone, "code": CODE, "purpose": "login" });
    let (_, quiet, _) = call(&app, "POST", "/v1/messages", Some(send(PHONE))).await;
    let (_, delivered, _) = call(&app, "POST", "/v1/messages", Some(send("+79991234568"))).await;
    let wamid = delivered["provider_message_id"].as_str().unwrap();
    assert_eq!(report(&h, "wa", wamid, DeliveryStatus::Delivered).await, 0);
    // Past the failure window the sealed code stays: fallback_after still needs it.
    h.clock.advance_secs(299);
    assert!(gateway::flows::fallback::due(&h.state).await.is_empty());
    let id = quiet["id"].as_str().unwrap();
    assert!(raw(&h, id).await.contains("sealed"));
    h.clock.advance_secs(1);
    let started = gateway::flows::fallback::due(&h.state).await;
    assert_eq!(
        started.len(),
        1,
        "only the message nothing was delivered for"
    );
    for f in started {
        f.await.unwrap();
    }
    assert_eq!(h.codes(), [CODE]);
    let (_, m, _) = call(&app, "GET", &format!("/v1/messages/{id}"), None).await;
    assert_eq!(m["adapter"], "mock", "{m}");
    let last = m["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last["detail"],
        "late fallback: no delivery report from wa within 300 s"
    );
    let delivered_id = delivered["id"].as_str().unwrap();
    assert!(
        !raw(&h, delivered_id).await.contains("late_fallback"),
        "dropped at its end"
    );
    h.clock.advance_secs(3600);
    assert!(gateway::flows::fallback::due(&h.state).await.is_empty());
    assert_eq!(h.codes().len(), 1);
}

#[actix_rt::test]
async fn a_verification_already_approved_gets_no_second_code() {
    let (h, wa_codes) = setup(&["wa", "mock"]).await;
    let app = test::init_service(build_app(web::Data::new(h.state.clone()))).await;
    let start = json!({ "location_id": "42", "phone": PHONE, "purpose": "login" });
    let (_, v, _) = call(&app, "POST", "/v1/verifications", Some(start)).await;
    let id = v["id"].as_str().unwrap();
    let check = json!({ "code": wa_codes().pop().unwrap() });
    let path = format!("/v1/verifications/{id}/check");
    let (s, ok, _) = call(&app, "POST", &path, Some(check)).await;
    assert_eq!((s.as_u16(), ok["status"].as_str()), (200, Some("approved")));
    // The chatbot then says it failed (the client read it elsewhere): nothing is sent,
    // and the history says why.
    let wamid = v["message"]["provider_message_id"].as_str().unwrap();
    assert_eq!(report(&h, "wa", wamid, DeliveryStatus::Failed).await, 1);
    assert!(h.codes().is_empty());
    let message_id = v["message_id"].as_str().unwrap();
    let (_, m, _) = call(&app, "GET", &format!("/v1/messages/{message_id}"), None).await;
    let last = m["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["status"].as_str(), last["adapter"].as_str()),
        (Some("failed"), Some("wa"))
    );
    assert_eq!(
        last["detail"],
        "late fallback: wa reported failed; the verification is approved"
    );
    assert_eq!(m["adapter"], "wa");
}
