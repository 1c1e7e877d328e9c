//! Unit tests of the Twilio adapter: settings, request building, error mapping,
//! callback signatures, and sends against the fake Twilio server.

mod callback;
mod config;
mod conformance;
mod fake;
mod mapping;
mod request;
mod send;

use gateway_sdk::SendRequest;

/// A request as the gateway would make it, to `phone`.
pub(crate) fn send_request(message_id: &str, phone: &str) -> SendRequest {
    SendRequest {
        message_id: message_id.to_owned(),
        phone: phone.to_owned(),
        text: "Confirmation code for Beauty Lab: 4821".to_owned(),
        code: "4821".to_owned(),
        title: Some("Beauty Lab".to_owned()),
        language: "en".to_owned(),
        sender_id: None,
        code_ttl_secs: 300,
        deadline_ms: 5_000,
        idempotency_key: format!("idem-{message_id}"),
        callback_url: Some("https://gw.example.com/v1/callbacks/sms-main".to_owned()),
        precheck_ref: None,
        encoding: None,
        segments: None,
    }
}
