//! Unit tests of the Twilio adapter: settings, request building, error mapping,
//! callback signatures, and sends against the fake Twilio server.

mod callback;
mod config;
mod conformance;
mod mapping;
mod request;
mod send;

use gateway_sdk::SendRequest;

/// A request as the gateway would make it, to `phone`.
pub(crate) fn send_request(message_id: &str, phone: &str) -> SendRequest {
    SendRequest {
        text: "Confirmation code for Beauty Lab: 4821".to_owned(),
        code: "4821".to_owned(),
        title: Some("Beauty Lab".to_owned()),
        callback_url: Some("https://gw.example.com/v1/callbacks/sms-main".to_owned()),
        ..gateway_sdk::test_util::send_request(message_id, phone)
    }
}
