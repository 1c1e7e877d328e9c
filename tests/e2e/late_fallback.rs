//! Fallback after a late delivery failure, end to end: the real gateway process with
//! the real WhatsApp and Twilio libraries against the fakes. WhatsApp accepts a code,
//! then its fake posts a signed "failed" status (the `report` switch): the gateway
//! sends the same code by SMS, and the verification checks with it. A code the caller
//! made is kept sealed in the SQLite file only until the fallback used it, never in
//! clear. A failure reported after `routing.late_fallback_window` sends nothing. An
//! instance's `fallback_after` moves a message nothing was delivered for.

use crate::fake_controls::{Setup, setup_full, setup_with};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// The codes Twilio's fake was asked to deliver to `phone` (from each `Body`).
fn sms_bodies(s: &Setup, phone: &str) -> Vec<String> {
    s.fakes
        .twilio
        .requests()
        .iter()
        .filter(|r| r.field("To") == Some(phone))
        .filter_map(|r| r.field("Body").map(str::to_owned))
        .collect()
}

/// Polls `GET /v1/messages/{id}` until `done` holds (the fallback runs after the
/// report is answered); panics with the last record after a generous deadline.
fn message_until(s: &Setup, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let m = s.gw.get(&format!("/v1/messages/{id}")).json;
        if done(&m) {
            return m;
        }
        assert!(Instant::now() < deadline, "never reached: {m}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn attempts(m: &Value) -> Vec<(String, String)> {
    m["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["adapter"].as_str().unwrap().to_owned(),
                a["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_whatsapp_code_that_fails_after_acceptance_goes_by_sms_and_still_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let s = setup_with(dir.path(), &["whatsapp", "sms"], &[]);
    let phone = "+79990000021";
    let v = s.gw.post(
        "/v1/verifications",
        &json!({ "location_id": "5", "phone": phone, "purpose": "login" }),
    );
    assert_eq!(v.status, 201, "{}", v.text);
    assert_eq!(v.json["channel"], "whatsapp", "{}", v.text);
    let (id, message_id) = (
        v.json["id"].as_str().unwrap(),
        v.json["message_id"].as_str().unwrap(),
    );
    let code = s
        .fakes
        .whatsapp
        .last_code(phone)
        .expect("WhatsApp got the code");
    assert!(sms_bodies(&s, phone).is_empty());

    // Meta posts "failed" (131026, not on WhatsApp): the gateway starts one fallback.
    let answer = s.ok("/whatsapp/report?status=failed");
    assert_eq!(answer["gateway_status"], 200, "{answer}");
    assert_eq!(answer["gateway_answer"]["late_fallbacks"], 1, "{answer}");
    let m = message_until(&s, message_id, |m| m["adapter"] == "sms");
    assert_eq!(m["channel"], "sms");
    assert_eq!(m["status"], "queued", "Twilio queues: {m}");
    let expected = [("whatsapp", "sent"), ("sms", "sent")].map(|(a, o)| (a.into(), o.into()));
    assert_eq!(attempts(&m), expected);
    let history = m["history"].as_array().unwrap();
    let last = history.last().unwrap();
    assert_eq!(last["adapter"], "sms", "{m}");
    assert_eq!(
        last["detail"], "late fallback: whatsapp reported undelivered",
        "{m}"
    );
    assert!(
        history
            .iter()
            .any(|h| h["status"] == "undelivered" && h["adapter"] == "whatsapp")
    );
    let bodies = sms_bodies(&s, phone);
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    assert!(
        bodies[0].contains(&code),
        "the same code by SMS: {bodies:?}"
    );
    assert!(!m.to_string().contains(&code), "{m}");

    // Once: the same failure posted again starts nothing more.
    let again = s.ok("/whatsapp/report?status=failed");
    assert_eq!(again["gateway_answer"]["late_fallbacks"], 0, "{again}");

    // The verification follows the message, and the code still checks.
    let view = s.gw.get(&format!("/v1/verifications/{id}"));
    assert_eq!(
        (view.json["channel"].as_str(), view.json["sends"].as_u64()),
        (Some("sms"), Some(1)),
        "{}",
        view.text
    );
    let ok = s.gw.post(
        &format!("/v1/verifications/{id}/check"),
        &json!({ "code": code }),
    );
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.json["status"], "approved", "{}", ok.text);

    // Counted, and logged with the phone masked and without the code.
    let metrics = s.gw.get("/metrics").text;
    assert!(
        metrics.contains("gateway_fallbacks_total{from=\"whatsapp\",to=\"sms\"} 1"),
        "{metrics}"
    );
    let log = s.gw.log();
    let line = log
        .lines()
        .find(|l| l.contains("late fallback") && l.contains(message_id))
        .expect("a log line for the fallback");
    assert!(
        line.contains("+7999***0021") && !line.contains(&code),
        "{line}"
    );
    assert!(!line.contains("79990000021"), "{line}");
    assert!(sms_bodies(&s, phone).len() == 1);
}

#[test]
fn a_code_the_caller_made_falls_back_sealed_and_is_never_stored_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let s = setup_with(dir.path(), &["whatsapp", "sms"], &[]);
    let (phone, code) = ("+79990000023", "48213579");
    let sent = s.gw.post(
        "/v1/messages",
        &json!({ "location_id": "5", "phone": phone, "code": code, "purpose": "login" }),
    );
    assert_eq!(sent.status, 201, "{}", sent.text);
    assert_eq!(sent.json["adapter"], "whatsapp");
    let id = sent.json["id"].as_str().unwrap();
    let stored = || -> String {
        let db = rusqlite::Connection::open(s.gw.data_dir.join("gateway.db")).unwrap();
        db.query_row(
            "SELECT value FROM kv WHERE ns = 'message' AND key = ?1",
            [id],
            |row| row.get(0),
        )
        .unwrap()
    };
    let before = stored();
    assert!(
        before.contains("\"sealed\""),
        "kept sealed for the window: {before}"
    );
    assert!(
        !before.contains(code) && !before.contains("79990000023"),
        "{before}"
    );

    let answer = s.ok("/whatsapp/report?status=failed");
    assert_eq!(answer["gateway_answer"]["late_fallbacks"], 1, "{answer}");
    let m = message_until(&s, id, |m| m["adapter"] == "sms");
    assert_eq!(m["channel"], "sms", "{m}");
    let bodies = sms_bodies(&s, phone);
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    assert!(
        bodies[0].contains(code),
        "the caller's code by SMS: {bodies:?}"
    );
    let after = stored();
    assert!(
        !after.contains("late_fallback"),
        "used, so dropped: {after}"
    );
    // Nowhere in the store in clear.
    let db = rusqlite::Connection::open(s.gw.data_dir.join("gateway.db")).unwrap();
    let clear: i64 = db
        .query_row(
            "SELECT count(*) FROM kv WHERE value LIKE '%' || ?1 || '%'",
            [code],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(clear, 0);
}

#[test]
fn a_failure_reported_after_the_window_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let window = [("GATEWAY__ROUTING__LATE_FALLBACK_WINDOW", "100ms")];
    let s = setup_with(dir.path(), &["whatsapp", "sms"], &window);
    let phone = "+79990000022";
    let sent = s.gw.post(
        "/v1/messages",
        &json!({ "location_id": "5", "phone": phone, "code": "4821", "purpose": "login" }),
    );
    assert_eq!(sent.status, 201, "{}", sent.text);
    assert_eq!(sent.json["adapter"], "whatsapp");
    let id = sent.json["id"].as_str().unwrap();
    // Only to be past the 100 ms window when the report comes (no timing is asserted).
    std::thread::sleep(Duration::from_millis(300));
    let answer = s.ok("/whatsapp/report?status=failed");
    assert_eq!(answer["gateway_status"], 200, "{answer}");
    assert_eq!(answer["gateway_answer"]["applied"], 1, "{answer}");
    assert_eq!(answer["gateway_answer"]["late_fallbacks"], 0, "{answer}");
    let m = s.gw.get(&format!("/v1/messages/{id}")).json;
    assert_eq!(
        (m["status"].as_str(), m["adapter"].as_str()),
        (Some("undelivered"), Some("whatsapp")),
        "{m}"
    );
    assert_eq!(attempts(&m).len(), 1, "{m}");
    assert!(sms_bodies(&s, phone).is_empty());
    assert!(
        !s.gw
            .get("/metrics")
            .text
            .contains("gateway_fallbacks_total{")
    );
}

#[test]
fn fallback_after_moves_a_message_nothing_was_delivered_for() {
    let dir = tempfile::tempdir().unwrap();
    let s = setup_full(
        dir.path(),
        &["whatsapp", "sms"],
        &[],
        "fallback_after = \"1s\"",
    );
    let phone = "+79990000024";
    let sent = s.gw.post(
        "/v1/messages",
        &json!({ "location_id": "5", "phone": phone, "code": "4821", "purpose": "login" }),
    );
    assert_eq!(sent.status, 201, "{}", sent.text);
    assert_eq!(sent.json["adapter"], "whatsapp");
    let id = sent.json["id"].as_str().unwrap();
    // No report at all: the per-second watch moves it on once its second has passed.
    let m = message_until(&s, id, |m| m["adapter"] == "sms");
    let last = m["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last["detail"], "late fallback: no delivery report from whatsapp within 1 s",
        "{m}"
    );
    let bodies = sms_bodies(&s, phone);
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    assert!(bodies[0].contains("4821"), "{bodies:?}");
}
