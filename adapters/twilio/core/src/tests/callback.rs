//! Signature verification and status-callback parsing.

use crate::callback::{compute_signature, parse_status_callback, signature_is_valid, url_variants};
use fake_providers::twilio::signed_status_callback;
use gateway_sdk::{CallbackError, CallbackRequest, DeliveryStatus};

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Twilio's published example (docs: "Webhooks security").
#[test]
fn twilio_published_test_vector() {
    let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
    // Deliberately not sorted: the signer sorts.
    let params = pairs(&[
        ("To", "+18005551212"),
        ("CallSid", "CA1234567890ABCDE"),
        ("Digits", "1234"),
        ("From", "+12349013030"),
        ("Caller", "+12349013030"),
    ]);
    assert_eq!(
        compute_signature(url, &params, "12345"),
        "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    );
    assert!(signature_is_valid(
        url,
        &params,
        "12345",
        "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    ));
    assert!(!signature_is_valid(
        url,
        &params,
        "12346",
        "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    ));
}

#[test]
fn url_variants_add_or_drop_only_the_default_port() {
    assert_eq!(
        url_variants("https://h.example/p?q=1"),
        ["https://h.example/p?q=1", "https://h.example:443/p?q=1"]
    );
    assert_eq!(
        url_variants("https://h.example:443/p"),
        ["https://h.example:443/p", "https://h.example/p"]
    );
    assert_eq!(
        url_variants("http://h.example"),
        ["http://h.example", "http://h.example:80"]
    );
    assert_eq!(
        url_variants("http://u:pw@h.example:80/x"),
        ["http://u:pw@h.example:80/x", "http://u:pw@h.example/x"]
    );
    assert_eq!(
        url_variants("https://h.example:8443/p"),
        ["https://h.example:8443/p"]
    );
    assert_eq!(
        url_variants("http://[::1]/p"),
        ["http://[::1]/p", "http://[::1]:80/p"]
    );
    assert_eq!(url_variants("not a url"), ["not a url"]);
}

#[test]
fn signature_verifies_with_and_without_default_port() {
    let params = pairs(&[("MessageSid", "SM1"), ("MessageStatus", "sent")]);
    let sig_with = compute_signature("https://gw.example:443/v1/callbacks/sms", &params, "tok");
    let sig_without = compute_signature("https://gw.example/v1/callbacks/sms", &params, "tok");
    for sig in [&sig_with, &sig_without] {
        assert!(signature_is_valid(
            "https://gw.example/v1/callbacks/sms",
            &params,
            "tok",
            sig
        ));
        assert!(signature_is_valid(
            "https://gw.example:443/v1/callbacks/sms",
            &params,
            "tok",
            sig
        ));
    }
    let sig_other_port =
        compute_signature("https://gw.example:8443/v1/callbacks/sms", &params, "tok");
    assert!(!signature_is_valid(
        "https://gw.example/v1/callbacks/sms",
        &params,
        "tok",
        &sig_other_port
    ));
}

fn callback(url: &str, token: &str, params: &[(&str, &str)]) -> CallbackRequest {
    let (headers, body) = signed_status_callback(url, token, params);
    CallbackRequest {
        method: "POST".into(),
        url: url.into(),
        headers,
        body,
        received_at: time::OffsetDateTime::now_utc(),
    }
}

const URL: &str = "https://gw.example.com/v1/callbacks/sms-main";

#[test]
fn signed_callback_parses_with_unknown_fields() {
    let req = callback(
        URL,
        "tok",
        &[
            ("AccountSid", "AC0123456789abcdef0123456789abcdef"),
            ("MessageSid", "SM9"),
            ("MessageStatus", "undelivered"),
            ("ErrorCode", "30003"),
            ("SomeFieldTwilioAddsNextYear", "x y&z"),
            ("RawDlrDoneDate", "2405061230"),
        ],
    );
    let out = parse_status_callback("tok", &req).expect("valid");
    assert_eq!(out.updates.len(), 1);
    let u = &out.updates[0];
    assert_eq!(
        (u.provider_message_id.as_str(), u.status),
        ("SM9", DeliveryStatus::Undelivered)
    );
    assert_eq!(u.error_code.as_deref(), Some("30003"));
    assert_eq!(out.reply, None);
}

#[test]
fn tampered_or_missing_signatures_are_refused() {
    let mut req = callback(
        URL,
        "tok",
        &[("MessageSid", "SM9"), ("MessageStatus", "delivered")],
    );
    let tampered_body = req.body.replace("delivered", "failed");
    let mut tampered = req.clone();
    tampered.body = tampered_body;
    assert!(matches!(
        parse_status_callback("tok", &tampered),
        Err(CallbackError::Signature { .. })
    ));
    let mut other_url = req.clone();
    other_url.url = "https://evil.example/v1/callbacks/sms-main".into();
    assert!(matches!(
        parse_status_callback("tok", &other_url),
        Err(CallbackError::Signature { .. })
    ));
    assert!(matches!(
        parse_status_callback("other-token", &req),
        Err(CallbackError::Signature { .. })
    ));
    let mut garbage = req.clone();
    garbage.headers.retain(|(k, _)| k != "x-twilio-signature");
    garbage
        .headers
        .push(("x-twilio-signature".into(), "%%%not base64".into()));
    assert!(matches!(
        parse_status_callback("tok", &garbage),
        Err(CallbackError::Signature { .. })
    ));
    req.headers.retain(|(k, _)| k != "x-twilio-signature");
    assert!(matches!(
        parse_status_callback("tok", &req),
        Err(CallbackError::Signature { .. })
    ));
}

#[test]
fn every_status_maps_and_out_of_order_reports_are_each_reported() {
    let cases = [
        ("accepted", DeliveryStatus::Queued),
        ("queued", DeliveryStatus::Queued),
        ("sending", DeliveryStatus::Queued),
        ("sent", DeliveryStatus::Sent),
        ("delivered", DeliveryStatus::Delivered),
        ("read", DeliveryStatus::Read),
        ("undelivered", DeliveryStatus::Undelivered),
        ("failed", DeliveryStatus::Failed),
        ("canceled", DeliveryStatus::Failed),
    ];
    // Delivered before sent: both are reported as they come; ordering is the gateway's job.
    for (raw, expected) in cases.iter().rev() {
        let req = callback(URL, "tok", &[("MessageSid", "SM1"), ("MessageStatus", raw)]);
        let out = parse_status_callback("tok", &req).expect("valid");
        assert_eq!(out.updates[0].status, *expected, "{raw}");
        assert_eq!(
            out.updates[0].detail.is_some(),
            expected.as_str() != *raw,
            "{raw}"
        );
    }
}

#[test]
fn inbound_and_future_statuses_yield_no_update() {
    for raw in ["received", "receiving", "some_new_status"] {
        let req = callback(URL, "tok", &[("MessageSid", "SM1"), ("MessageStatus", raw)]);
        assert!(
            parse_status_callback("tok", &req)
                .expect("valid")
                .updates
                .is_empty(),
            "{raw}"
        );
    }
}

#[test]
fn legacy_sms_fields_and_missing_fields() {
    let legacy = callback(URL, "tok", &[("SmsSid", "SM2"), ("SmsStatus", "sent")]);
    let out = parse_status_callback("tok", &legacy).expect("valid");
    assert_eq!(out.updates[0].provider_message_id, "SM2");
    let no_sid = callback(URL, "tok", &[("MessageStatus", "sent")]);
    assert!(matches!(
        parse_status_callback("tok", &no_sid),
        Err(CallbackError::Malformed { .. })
    ));
    let no_status = callback(URL, "tok", &[("MessageSid", "SM2")]);
    assert!(matches!(
        parse_status_callback("tok", &no_status),
        Err(CallbackError::Malformed { .. })
    ));
    let mut get = callback(
        URL,
        "tok",
        &[("MessageSid", "SM2"), ("MessageStatus", "sent")],
    );
    get.method = "GET".into();
    assert!(matches!(
        parse_status_callback("tok", &get),
        Err(CallbackError::Malformed { .. })
    ));
}
