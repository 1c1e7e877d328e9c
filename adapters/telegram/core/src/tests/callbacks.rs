//! Delivery reports: signature, freshness and status mapping.

use super::{TOKEN, adapter_for, send_request};
use crate::callback::{map_status, sign};
use crate::request::{DeliveryState, RequestStatus};
use fake_providers::telegram::{FakeTelegram, SignedReport};
use gateway_sdk::{Adapter, CallbackError, CallbackRequest, DeliveryStatus};
use time::OffsetDateTime;

const AT: i64 = 1_750_000_000;

fn at(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).expect("valid time")
}

fn status(request_id: &str, delivery: &str) -> RequestStatus {
    RequestStatus {
        request_id: request_id.into(),
        phone_number: "+79991234567".into(),
        request_cost: 0.01,
        is_refunded: None,
        remaining_balance: None,
        delivery_status: Some(DeliveryState {
            status: delivery.into(),
            updated_at: AT,
        }),
        verification_status: None,
        payload: Some("msg_1".into()),
    }
}

fn report(delivery: &str) -> CallbackRequest {
    SignedReport::sign(TOKEN, AT, &status("req_1", delivery)).to_callback_request(at(AT + 2))
}

fn signature_refused(r: Result<gateway_sdk::CallbackOutcome, CallbackError>) -> bool {
    matches!(r, Err(CallbackError::Signature { .. }))
}

#[test]
fn signature_matches_the_documented_recipe() {
    // hex(HMAC_SHA256(key = SHA256("token"), "123\nbody")), computed with Python's hmac.
    assert_eq!(
        sign("token", "123", "body"),
        "0dfdc637af945fe467ffb00804ed9b13aad8d7919b1ce4d47ce25ce149e5bfc3"
    );
}

#[test]
fn good_report_becomes_a_status_update() {
    let adapter = adapter_for("http://127.0.0.1:9", TOKEN);
    let outcome = adapter.parse_callback(&report("delivered")).expect("valid");
    assert_eq!(outcome.updates.len(), 1);
    let u = &outcome.updates[0];
    assert_eq!(u.provider_message_id, "req_1");
    assert_eq!(u.status, DeliveryStatus::Delivered);
    assert_eq!(u.at, Some(at(AT)));
    assert!(outcome.reply.is_none());
}

#[test]
fn every_documented_status_maps() {
    assert_eq!(map_status("sent"), Some(DeliveryStatus::Sent));
    assert_eq!(map_status("delivered"), Some(DeliveryStatus::Delivered));
    assert_eq!(map_status("read"), Some(DeliveryStatus::Read));
    assert_eq!(map_status("expired"), Some(DeliveryStatus::Expired));
    assert_eq!(map_status("revoked"), Some(DeliveryStatus::Failed));
    assert_eq!(map_status("teleported"), None);
    let adapter = adapter_for("http://127.0.0.1:9", TOKEN);
    let revoked = adapter.parse_callback(&report("revoked")).expect("valid");
    assert_eq!(revoked.updates[0].detail.as_deref(), Some("revoked"));
    // Unknown statuses and reports without delivery_status carry no update.
    assert!(
        adapter
            .parse_callback(&report("teleported"))
            .expect("valid")
            .updates
            .is_empty()
    );
    let mut bare = status("req_2", "sent");
    bare.delivery_status = None;
    let r = SignedReport::sign(TOKEN, AT, &bare).to_callback_request(at(AT));
    assert!(
        adapter
            .parse_callback(&r)
            .expect("valid")
            .updates
            .is_empty()
    );
}

#[test]
fn bad_missing_or_foreign_signatures_are_refused() {
    let adapter = adapter_for("http://127.0.0.1:9", TOKEN);
    let mut tampered = report("delivered");
    tampered.body = tampered.body.replace("delivered", "read");
    assert!(signature_refused(adapter.parse_callback(&tampered)));
    let foreign = SignedReport::sign("other-token", AT, &status("req_1", "read"));
    assert!(signature_refused(
        adapter.parse_callback(&foreign.to_callback_request(at(AT)))
    ));
    for header in ["x-request-signature", "x-request-timestamp"] {
        let mut r = report("read");
        r.headers.retain(|(k, _)| k != header);
        assert!(
            signature_refused(adapter.parse_callback(&r)),
            "without {header}"
        );
    }
    let mut not_hex = report("read");
    not_hex.headers.retain(|(k, _)| k != "x-request-signature");
    not_hex
        .headers
        .push(("x-request-signature".into(), "zz".into()));
    assert!(signature_refused(adapter.parse_callback(&not_hex)));
    // The timestamp is signed: changing it breaks the signature.
    let mut moved = report("read");
    for (k, v) in &mut moved.headers {
        if k == "x-request-timestamp" {
            *v = (AT + 1).to_string();
        }
    }
    assert!(signature_refused(adapter.parse_callback(&moved)));
}

#[test]
fn stale_and_future_reports_are_refused_by_configured_age() {
    let adapter = adapter_for("http://127.0.0.1:9", TOKEN);
    let signed = SignedReport::sign(TOKEN, AT, &status("req_1", "read"));
    assert!(
        adapter
            .parse_callback(&signed.to_callback_request(at(AT + 300)))
            .is_ok()
    );
    assert!(signature_refused(
        adapter.parse_callback(&signed.to_callback_request(at(AT + 301)))
    ));
    assert!(signature_refused(
        adapter.parse_callback(&signed.to_callback_request(at(AT - 301)))
    ));
    let strict = crate::TelegramAdapter::create(
        serde_json::json!({ "token": TOKEN, "report_max_age_secs": 10 }),
        super::ctx(),
    )
    .expect("valid");
    assert!(signature_refused(
        strict.parse_callback(&signed.to_callback_request(at(AT + 11)))
    ));
}

#[test]
fn signed_garbage_is_malformed_and_get_is_refused() {
    let adapter = adapter_for("http://127.0.0.1:9", TOKEN);
    let ts = AT.to_string();
    let body = "{\"not\": \"a status\"}";
    let r = CallbackRequest {
        method: "POST".into(),
        url: "https://gw.example/v1/callbacks/telegram-main".into(),
        headers: vec![
            ("x-request-timestamp".into(), ts.clone()),
            ("x-request-signature".into(), sign(TOKEN, &ts, body)),
        ],
        body: body.into(),
        received_at: at(AT),
    };
    assert!(matches!(
        adapter.parse_callback(&r),
        Err(CallbackError::Malformed { .. })
    ));
    let mut get = report("read");
    get.method = "GET".into();
    assert!(matches!(
        adapter.parse_callback(&get),
        Err(CallbackError::Malformed { .. })
    ));
}

#[tokio::test]
async fn fake_reports_round_trip_through_the_adapter() {
    let fake = FakeTelegram::start(TOKEN);
    let adapter = adapter_for(&fake.base_url, TOKEN);
    let sent = adapter
        .send(send_request("msg_77", "+79991234567"))
        .await
        .expect("accepted");
    let report = fake
        .report(&sent.provider_message_id, "read", AT)
        .expect("known request");
    assert_eq!(
        report.url.as_deref(),
        Some("https://gw.example/v1/callbacks/telegram-main")
    );
    assert!(
        report.body.contains("\"payload\":\"msg_77\""),
        "{}",
        report.body
    );
    let outcome = adapter
        .parse_callback(&report.to_callback_request(at(AT + 1)))
        .expect("valid");
    assert_eq!(
        outcome.updates[0].provider_message_id,
        sent.provider_message_id
    );
    assert_eq!(outcome.updates[0].status, DeliveryStatus::Read);
    assert!(fake.report("tgreq_999", "read", AT).is_none());
}
