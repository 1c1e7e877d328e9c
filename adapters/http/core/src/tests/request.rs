//! The body is exactly the documented fields, and its signature is Standard Webhooks'.

use super::send_request;
use crate::request::{message, signed};
use gateway_sdk::signing::SigningKey;
use serde_json::json;

#[test]
fn body_has_every_documented_field() {
    let mut req = send_request("msg_01", "+79991234567");
    req.sender_id = Some("BeautyLab".into());
    let body = serde_json::to_value(message(&req, true)).unwrap();
    assert_eq!(
        body,
        json!({
            "message_id": "msg_01", "to": "+79991234567", "text": "Beauty Lab code: 4821",
            "code": "4821", "encoding": "GSM-7", "segments": 1, "ttl": 300,
            "callback_url": "https://gw.example/v1/callbacks/http", "sender_id": "BeautyLab",
            "language": "en"
        })
    );
    // No reports wanted, no sender, a gateway that predates encoding: nulls, not gaps.
    req.sender_id = Some(" ".into());
    req.encoding = None;
    req.segments = None;
    let body = serde_json::to_value(message(&req, false)).unwrap();
    for field in ["callback_url", "sender_id", "encoding", "segments"] {
        assert_eq!(body[field], serde_json::Value::Null, "{field}: {body}");
    }
    assert_eq!(body.as_object().unwrap().len(), 10);
}

#[test]
fn headers_sign_the_exact_body_under_the_message_id() {
    let key = SigningKey::from_secret(super::FAKE_SECRET).unwrap();
    let req = send_request("msg_02", "+79991234567");
    let (body, headers) = signed(&key, &req, true, 1_700_000_000);
    assert_eq!(headers[0], ("webhook-id", "msg_02".to_owned()));
    assert_eq!(headers[1], ("webhook-timestamp", "1700000000".to_owned()));
    assert_eq!(
        headers[2].1,
        key.signature("msg_02", 1_700_000_000, &body),
        "the signature covers the bytes sent"
    );
}
