//! Reports signed by the Standard Webhooks library (the fake's), and every refusal.

use crate::HttpAdapter;
use fake_providers::http_receiver::{FAKE_SECRET, SignedReport, report_body};
use gateway_sdk::{Adapter, CallbackError, DeliveryStatus};
use time::OffsetDateTime;

const NOW: i64 = 1_780_000_000;

fn adapter() -> HttpAdapter {
    HttpAdapter::create(
        super::settings("https://sms.example.com/send"),
        gateway_sdk::test_util::context("http"),
    )
    .unwrap()
}

fn at(ts: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(ts).unwrap()
}

fn report(status: &str, signed_at: i64, error_code: Option<&str>) -> SignedReport {
    let body = report_body("hr_1", status, signed_at, error_code);
    SignedReport::sign(FAKE_SECRET, "rep_1", signed_at, body)
}

#[test]
fn a_signed_report_becomes_an_update() {
    let r = report("undelivered", NOW - 60, Some("EC_ABSENT_SUBSCRIBER"));
    let out = adapter()
        .parse_callback(&r.to_callback_request(at(NOW)))
        .unwrap();
    assert_eq!(out.updates.len(), 1);
    let u = &out.updates[0];
    assert_eq!(u.provider_message_id, "hr_1");
    assert_eq!(u.status, DeliveryStatus::Undelivered);
    assert_eq!(u.at, Some(at(NOW - 60)));
    assert_eq!(u.error_code.as_deref(), Some("EC_ABSENT_SUBSCRIBER"));
    for (status, expected) in [
        ("queued", DeliveryStatus::Queued),
        ("sent", DeliveryStatus::Sent),
        ("delivered", DeliveryStatus::Delivered),
        ("read", DeliveryStatus::Read),
        ("failed", DeliveryStatus::Failed),
        ("expired", DeliveryStatus::Expired),
    ] {
        let out = adapter()
            .parse_callback(&report(status, NOW, None).to_callback_request(at(NOW)))
            .unwrap();
        assert_eq!(out.updates[0].status, expected);
    }
    // A status the contract does not have is acknowledged and ignored.
    let out = adapter()
        .parse_callback(&report("fermenting", NOW, None).to_callback_request(at(NOW)))
        .unwrap();
    assert!(out.updates.is_empty());
}

#[test]
fn stale_future_tampered_and_foreign_reports_are_refused() {
    let a = adapter();
    let signature =
        |r: SignedReport, received: i64| a.parse_callback(&r.to_callback_request(at(received)));
    // Inside the 5-minute window either way, then outside it: a replay of an old report.
    assert!(signature(report("delivered", NOW, None), NOW + 300).is_ok());
    assert!(signature(report("delivered", NOW, None), NOW - 300).is_ok());
    for received in [NOW + 301, NOW - 301, NOW + 86_400] {
        let refused = signature(report("delivered", NOW, None), received);
        assert!(
            matches!(refused, Err(CallbackError::Signature { .. })),
            "{received}: {refused:?}"
        );
    }
    let mut tampered = report("delivered", NOW, None);
    tampered.body = tampered.body.replace("delivered", "failed");
    assert!(matches!(
        signature(tampered, NOW),
        Err(CallbackError::Signature { .. })
    ));
    let foreign = SignedReport::sign(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "rep_1",
        NOW,
        report_body("hr_1", "delivered", NOW, None),
    );
    assert!(matches!(
        signature(foreign, NOW),
        Err(CallbackError::Signature { .. })
    ));
    let mut unsigned = report("delivered", NOW, None);
    unsigned.headers.retain(|(k, _)| !k.starts_with("webhook-"));
    match signature(unsigned, NOW) {
        Err(CallbackError::Signature { message }) => {
            assert!(message.contains("webhook-id"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn signed_but_malformed_reports() {
    let a = adapter();
    let sign = |body: &str| SignedReport::sign(FAKE_SECRET, "rep_x", NOW, body.to_owned());
    for body in [
        "not json",
        r#"{"status":"delivered"}"#,
        r#"{"id":"","status":"delivered"}"#,
        r#"{"id":"hr_1","status":"delivered","at":"yesterday"}"#,
        r#"{"id":"hr_1","status":"delivered","error_code":"has space"}"#,
    ] {
        let got = a.parse_callback(&sign(body).to_callback_request(at(NOW)));
        assert!(
            matches!(got, Err(CallbackError::Malformed { .. })),
            "{body}: {got:?}"
        );
    }
    let mut get = sign(r#"{"id":"hr_1","status":"delivered"}"#).to_callback_request(at(NOW));
    get.method = "GET".into();
    assert!(matches!(
        a.parse_callback(&get),
        Err(CallbackError::Malformed { .. })
    ));
}
