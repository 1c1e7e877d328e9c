//! Unit tests of the HTTP adapter: settings, the request body and signature, the answer
//! mapping table, reports, and sends against the fake receiver (which checks signatures
//! with the Standard Webhooks library, not the SDK's code).

// Test code may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

mod callback;
mod config;
mod mapping;
mod request;
mod send;

use fake_providers::http_receiver::FAKE_SECRET;
use gateway_sdk::{SendRequest, TextEncoding};

/// A request as the gateway makes it to `phone`, with a callback URL.
pub(crate) fn send_request(message_id: &str, phone: &str) -> SendRequest {
    SendRequest {
        text: "Beauty Lab code: 4821".to_owned(),
        code: "4821".to_owned(),
        callback_url: Some("https://gw.example/v1/callbacks/http".to_owned()),
        encoding: Some(TextEncoding::Gsm7),
        segments: Some(1),
        ..gateway_sdk::test_util::send_request(message_id, phone)
    }
}

/// Settings pointing at `url`, signed with the fake's secret.
pub(crate) fn settings(url: &str) -> serde_json::Value {
    serde_json::json!({ "url": url, "signing_secret": FAKE_SECRET })
}
