//! The answer table of docs/adapters/http.md, row by row.

use crate::response::{Redact, map_answer};
use gateway_sdk::{AdapterError, DeliveryStatus};

const REDACT: Redact<'static> = Redact {
    phone: "+79991234567",
    code: "4821",
};

fn kind(status: u16, body: &str) -> &'static str {
    match map_answer(status, None, body.as_bytes(), REDACT) {
        Ok(_) => "accepted",
        Err(e) => e.kind(),
    }
}

#[test]
fn statuses_without_an_error_kind() {
    for (status, expected) in [
        (400, "rejected"),
        (422, "rejected"),
        (413, "rejected"),
        (401, "auth"),
        (402, "account"),
        (403, "account"),
        (404, "config"),
        (405, "config"),
        (410, "config"),
        (408, "transient"),
        (429, "throttled"),
        (500, "transient"),
        (502, "transient"),
        (503, "transient"),
        (504, "transient"),
        (302, "transient"),
    ] {
        assert_eq!(kind(status, ""), expected, "HTTP {status}, no body");
        assert_eq!(
            kind(status, r#"{"error":{"kind":"fermenting","message":"x"}}"#),
            expected,
            "HTTP {status}, unknown kind"
        );
    }
}

#[test]
fn the_body_kind_wins_whatever_the_status() {
    for k in [
        "rejected",
        "unreachable",
        "transient",
        "throttled",
        "auth",
        "account",
        "config",
    ] {
        let body = format!(r#"{{"error":{{"kind":"{k}","code":"E1","message":"no"}}}}"#);
        for status in [200, 400, 422, 500] {
            assert_eq!(kind(status, &body), k, "HTTP {status} {body}");
        }
    }
    // A 2xx error without a kind the contract knows is not a success.
    assert_eq!(kind(200, r#"{"error":{"message":"busy"}}"#), "transient");
}

#[test]
fn accepted_answers() {
    let ok = map_answer(200, None, br#"{"id":"abc-1"}"#, REDACT).unwrap();
    assert_eq!(
        (
            ok.provider_message_id.as_str(),
            ok.status,
            ok.segments_billed
        ),
        ("abc-1", DeliveryStatus::Queued, None)
    );
    let ok = map_answer(
        202,
        None,
        br#"{"id":"abc-2","status":"sent","segments":2,"extra":true}"#,
        REDACT,
    )
    .unwrap();
    assert_eq!(
        (ok.status, ok.segments_billed),
        (DeliveryStatus::Sent, Some(2))
    );
    for bad in [
        "",
        "<html>",
        "{}",
        r#"{"id":""}"#,
        r#"{"id":42}"#,
        r#"{"id":"a","status":"failed"}"#,
    ] {
        assert_eq!(kind(201, bad), "transient", "{bad}");
    }
    let long = format!(r#"{{"id":"{}"}}"#, "x".repeat(257));
    assert_eq!(kind(200, &long), "transient");
}

#[test]
fn retry_after_codes_and_redaction() {
    match map_answer(429, Some(7_000), b"", REDACT) {
        Err(AdapterError::Throttled { retry_after_ms, .. }) => {
            assert_eq!(retry_after_ms, Some(7_000))
        }
        other => panic!("{other:?}"),
    }
    match map_answer(503, Some(2_000), b"", REDACT) {
        Err(AdapterError::Transient { retry_after_ms, .. }) => {
            assert_eq!(retry_after_ms, Some(2_000))
        }
        other => panic!("{other:?}"),
    }
    let body = br#"{"error":{"kind":"unreachable","code":"NO_ROUTE_79991234567","message":"no route to +79991234567 for 4821"}}"#;
    match map_answer(400, None, body, REDACT) {
        Err(AdapterError::Unreachable {
            message,
            provider_code,
        }) => {
            assert_eq!(
                message,
                "no route to *** for *** (HTTP 400, code NO_ROUTE_***)"
            );
            assert_eq!(provider_code.as_deref(), Some("NO_ROUTE_***"));
        }
        other => panic!("{other:?}"),
    }
    let long = format!(r#"{{"error":{{"message":"{}"}}}}"#, "é".repeat(5000));
    let Err(e) = map_answer(500, None, long.as_bytes(), REDACT) else {
        panic!("an error")
    };
    assert!(e.to_string().chars().count() < 300, "{e}");
}
