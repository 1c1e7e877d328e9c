//! Callback replays (#3): a signed delivery report posted again and again used to add a
//! history entry every time (2,000 replays grew one record to 169 KB). Now a repeat
//! changes nothing, provider error text is capped, and WhatsApp statuses dated outside
//! the replay window are refused (Twilio signs no timestamp: deduplication and the caps
//! are its defence).

use crate::providers::support::{Fakes, message, now, refused, report};
use e2e::Gateway;
use serde_json::json;

fn location(gw: &Gateway, id: &str, channel: &str) {
    let r = gw.put(
        &format!("/v1/locations/{id}"),
        &json!({ "location_name": "Beauty Lab", "country": "RU", "channels": [channel] }),
    );
    assert_eq!(r.status, 201, "{}", r.text);
}

fn send(gw: &Gateway, location: &str, phone: &str) -> (String, String) {
    let r = gw.post(
        "/v1/messages",
        &json!({ "location_id": location, "phone": phone, "code": "4821", "purpose": "login" }),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    (
        r.json["id"].as_str().unwrap().to_owned(),
        r.json["provider_message_id"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn thousands_of_replayed_reports_leave_the_record_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let fakes = Fakes::start();
    let gw = fakes.gateway(dir.path());
    location(&gw, "sms-only", "sms");
    let (id, sid) = send(&gw, "sms-only", "+79991234567");

    // Twilio: no timestamp in its signature, so every replay verifies.
    let cb = fakes
        .twilio
        .status_callback(&sid, "delivered", None)
        .unwrap();
    report(&gw, &cb.url, &cb.headers, cb.body.clone());
    let after_first = message(&gw, &id);
    let entries = after_first["history"].as_array().unwrap().len();
    assert_eq!(entries, 2, "{after_first}");
    for _ in 0..2000 {
        let r = gw.send_to("POST", &cb.url, &cb.headers, cb.body.clone());
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(
            (r.json["applied"].as_u64(), r.json["duplicates"].as_u64()),
            (Some(1), Some(1)),
            "{}",
            r.text
        );
    }
    let after = message(&gw, &id);
    assert_eq!(after, after_first, "replays changed the record");
    assert!(
        after.to_string().len() < 4096,
        "{} bytes",
        after.to_string().len()
    );

    // A provider's error text is cut, however long the signed report carries it.
    let (id2, sid2) = send(&gw, "sms-only", "+79991234568");
    let huge = "3".repeat(20_000);
    let cb = fakes
        .twilio
        .status_callback(&sid2, "failed", Some(&huge))
        .unwrap();
    report(&gw, &cb.url, &cb.headers, cb.body);
    let record = message(&gw, &id2);
    let detail = record["history"][1]["detail"].as_str().unwrap();
    assert!(
        detail.chars().count() <= 200,
        "{} characters kept",
        detail.len()
    );
    assert!(record.to_string().len() < 4096, "{record}");
    fakes.assert_no_violations();
}

#[test]
fn whatsapp_statuses_older_than_the_window_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let fakes = Fakes::start();
    let gw = fakes.gateway(dir.path());
    location(&gw, "wa-only", "whatsapp");
    let (id, wamid) = send(&gw, "wa-only", "+79993334455");
    let url = format!("{}/v1/callbacks/whatsapp", gw.base);

    // Signed by Meta's key, but dated two days ago (the default window is one day).
    let old = fakes
        .whatsapp
        .status_webhook(&wamid, "delivered", now() - 2 * 86_400, None)
        .unwrap();
    refused(&gw, &id, &url, &old.headers, old.body);

    // A fresh one is applied once; its replays inside the window change nothing.
    let fresh = fakes
        .whatsapp
        .status_webhook(&wamid, "delivered", now(), None)
        .unwrap();
    report(&gw, &url, &fresh.headers, fresh.body.clone());
    let first = message(&gw, &id);
    assert_eq!(first["status"], "delivered", "{first}");
    for _ in 0..200 {
        let r = gw.send_to("POST", &url, &fresh.headers, fresh.body.clone());
        assert_eq!(r.json["duplicates"], 1, "{}", r.text);
    }
    assert_eq!(message(&gw, &id), first);
    fakes.assert_no_violations();
}
