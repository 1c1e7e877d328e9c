//! Fixtures for adapters' own tests (feature `test-util`, for `[dev-dependencies]`): the
//! context, request and callback values the gateway would hand an instance, so each
//! adapter's tests do not rebuild them field by field.

use crate::{CallbackRequest, CreateContext, SendRequest};
use time::OffsetDateTime;

/// The context the gateway gives instance `instance`: the system temp dir as data
/// directory, public URL `https://gw.example` (so callback URLs are
/// `https://gw.example/v1/callbacks/{instance}`).
pub fn context(instance: &str) -> CreateContext {
    CreateContext {
        instance: instance.to_owned(),
        data_dir: std::env::temp_dir().display().to_string(),
        public_url: Some("https://gw.example".to_owned()),
    }
}

/// A request as the gateway makes it: code `482193` in an English text, 5 s deadline, no
/// title, sender, callback URL or pre-check. Change fields as a test needs.
pub fn send_request(message_id: &str, phone: &str) -> SendRequest {
    SendRequest {
        message_id: message_id.to_owned(),
        phone: phone.to_owned(),
        text: "Confirmation code: 482193".to_owned(),
        code: "482193".to_owned(),
        title: None,
        language: "en".to_owned(),
        sender_id: None,
        code_ttl_secs: 300,
        deadline_ms: 5_000,
        idempotency_key: format!("idem-{message_id}"),
        callback_url: None,
        precheck_ref: None,
        encoding: None,
        segments: None,
    }
}

/// A `POST` callback to `url` as the gateway hands it to `parse_callback`, received now;
/// header names are lowercased as the gateway does.
pub fn callback_request(url: &str, headers: &[(&str, &str)], body: &str) -> CallbackRequest {
    CallbackRequest {
        method: "POST".to_owned(),
        url: url.to_owned(),
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), (*v).to_owned()))
            .collect(),
        body: body.to_owned(),
        received_at: OffsetDateTime::now_utc(),
    }
}
