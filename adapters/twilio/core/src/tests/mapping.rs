//! Mapping of Twilio's HTTP answers onto the SDK's error kinds.

use crate::client::{map_response, redact_numbers};
use gateway_sdk::{AdapterError, DeliveryStatus};

fn twilio_error(status: u16, code: u32) -> Vec<u8> {
    serde_json::json!({
        "code": code,
        "message": "The 'To' number +79991234567 is not a valid phone number.",
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status,
    })
    .to_string()
    .into_bytes()
}

fn kind(status: u16, code: u32) -> &'static str {
    map_response(status, None, &twilio_error(status, code))
        .expect_err("an error")
        .kind()
}

#[test]
fn recipient_errors_are_rejected_with_the_provider_code() {
    for code in [21211, 21610, 21614, 21635, 21617] {
        match map_response(400, None, &twilio_error(400, code)) {
            Err(AdapterError::Rejected {
                provider_code,
                message,
            }) => {
                assert_eq!(provider_code.as_deref(), Some(code.to_string().as_str()));
                assert!(message.contains(&code.to_string()), "{message}");
            }
            other => panic!("{code}: expected Rejected, got {other:?}"),
        }
    }
}

#[test]
fn routing_errors_are_unreachable() {
    for code in [21408, 21612, 21608] {
        assert_eq!(kind(400, code), "unreachable", "{code}");
    }
}

#[test]
fn account_and_sender_errors_are_config() {
    for code in [21606, 21212, 21705, 21624] {
        assert_eq!(kind(400, code), "config", "{code}");
    }
    assert_eq!(kind(404, 20404), "config");
}

#[test]
fn auth_throttle_and_server_errors() {
    assert_eq!(kind(401, 20003), "auth");
    assert_eq!(kind(403, 20003), "auth");
    assert_eq!(kind(429, 20429), "throttled");
    assert_eq!(kind(500, 20500), "transient");
    assert_eq!(kind(503, 20503), "transient");
    assert_eq!(
        kind(400, 30001),
        "rejected",
        "unknown 4xx codes are permanent"
    );
}

#[test]
fn retry_after_is_carried_in_milliseconds() {
    match map_response(429, Some(7_000), &twilio_error(429, 20429)) {
        Err(AdapterError::Throttled { retry_after_ms, .. }) => {
            assert_eq!(retry_after_ms, Some(7_000))
        }
        other => panic!("expected Throttled, got {other:?}"),
    }
    match map_response(503, Some(2_000), b"<html>busy</html>") {
        Err(AdapterError::Transient { retry_after_ms, .. }) => {
            assert_eq!(retry_after_ms, Some(2_000))
        }
        other => panic!("expected Transient, got {other:?}"),
    }
}

#[test]
fn bodies_that_are_not_twilio_errors_map_by_status() {
    assert_eq!(
        map_response(401, None, b"").expect_err("err").kind(),
        "auth"
    );
    assert_eq!(
        map_response(502, None, b"<html>").expect_err("err").kind(),
        "transient"
    );
    assert_eq!(
        map_response(400, None, b"not json")
            .expect_err("err")
            .kind(),
        "rejected"
    );
}

#[test]
fn error_messages_never_carry_the_full_phone_number() {
    let err = map_response(400, None, &twilio_error(400, 21211))
        .expect_err("err")
        .to_string();
    assert!(!err.contains("+79991234567"), "{err}");
    assert!(err.contains("+799***4567"), "{err}");
}

#[test]
fn redaction_keeps_codes_and_masks_numbers() {
    assert_eq!(
        redact_numbers("error 21211 for +79991234567."),
        "error 21211 for +799***4567."
    );
    assert_eq!(redact_numbers("5551234567 x"), "5551***4567 x");
    assert_eq!(redact_numbers("a+b 123456"), "a+b 123456");
    assert_eq!(redact_numbers("Привет +1 (555)"), "Привет +1 (555)");
}

#[test]
fn created_message_maps_sid_status_and_string_segments() {
    let body = br#"{"sid":"SM0123456789abcdef0123456789abcdef","status":"queued","num_segments":"2","date_created":"Thu, 24 Aug 2023 05:01:45 +0000","error_code":null,"extra":{"x":1}}"#;
    let ok = map_response(201, None, body).expect("accepted");
    assert_eq!(ok.provider_message_id, "SM0123456789abcdef0123456789abcdef");
    assert_eq!(ok.status, DeliveryStatus::Queued);
    assert_eq!(ok.segments_billed, Some(2));

    let mg = br#"{"sid":"SM1","status":"accepted","num_segments":"0"}"#;
    let ok = map_response(201, None, mg).expect("accepted");
    assert_eq!(
        (ok.status, ok.segments_billed),
        (DeliveryStatus::Queued, None)
    );
}

#[test]
fn unreadable_success_bodies_are_errors_not_panics() {
    for body in [
        &b"{\"sid\": \"SM1\", \"stat"[..],
        b"",
        b"[]",
        b"{\"sid\":\"\",\"status\":\"queued\"}",
        b"{\"sid\":\"SM1\",\"status\":\"bogus\"}",
    ] {
        let err = map_response(201, None, body).expect_err("unreadable");
        assert_eq!(err.kind(), "transient", "{err}");
    }
    let failed = br#"{"sid":"SM1","status":"failed","error_code":30008}"#;
    match map_response(201, None, failed) {
        Err(AdapterError::Unreachable { provider_code, .. }) => {
            assert_eq!(provider_code.as_deref(), Some("30008"))
        }
        other => panic!("expected Unreachable, got {other:?}"),
    }
}
