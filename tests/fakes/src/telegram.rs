//! A fake Telegram Gateway API on `127.0.0.1:0`, for the Telegram adapter's tests and the
//! end-to-end tests.
//!
//! It speaks the documented protocol and refuses, like Telegram, what Telegram refuses;
//! when the refusal means the adapter spoke the protocol wrongly (wrong path, missing
//! `Authorization`, not JSON, a missing, unknown or out-of-range field) it also records a
//! violation, and tests assert [`FakeTelegram::violations`] is empty. Behaviours can be
//! set globally or per phone, and [`FakeTelegram::report`] produces correctly signed
//! delivery reports for what it accepted.

use crate::server::{FakeServer, JsonRequest, Log};
use gateway_sdk::CallbackRequest;
use hmac::{Hmac, Mac};
use serde::Serialize;
use server::{State, process};
use sha2::{Digest, Sha256};
use std::sync::MutexGuard;
use std::time::Duration;
use time::OffsetDateTime;

mod server;
mod wire;

/// Header carrying the report's Unix timestamp.
pub const TIMESTAMP_HEADER: &str = "x-request-timestamp";
/// Header carrying the report's hex signature.
pub const SIGNATURE_HEADER: &str = "x-request-signature";

/// The signature Telegram puts on a delivery report: hex HMAC-SHA256 of
/// `"{timestamp}\n{body}"` keyed by SHA-256 of the API token
/// (<https://core.telegram.org/gateway/api#report-delivery>). Written here from the
/// documentation, independently of the adapter's check.
pub fn report_signature(token: &str, timestamp: &str, body: &str) -> String {
    let key = Sha256::digest(token.as_bytes());
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC accepts any key length");
    mac.update(timestamp.as_bytes());
    mac.update(b"\n");
    mac.update(body.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// What the fake does with a valid request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Behaviour {
    /// Accept it and answer a `RequestStatus`.
    #[default]
    Accept,
    /// Answer `{"ok": false, "error": error}` with this HTTP status.
    Fail {
        /// HTTP status of the answer.
        http_status: u16,
        /// Telegram's error string.
        error: String,
    },
    /// Accept it, but answer only after this long.
    Stall(Duration),
    /// Answer 200 with a body that is not a Gateway API envelope.
    Malformed,
}

impl Behaviour {
    /// A refusal with this HTTP status and error string.
    pub fn fail(http_status: u16, error: &str) -> Self {
        Self::Fail {
            http_status,
            error: error.to_owned(),
        }
    }

    /// What Telegram answers for a phone without a Telegram account.
    pub fn not_on_telegram() -> Self {
        Self::fail(400, "PHONE_NUMBER_NOT_FOUND")
    }
}

/// One request the fake received (path such as `/sendVerificationMessage`).
pub type Received = JsonRequest;

/// A delivery report as Telegram would POST it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedReport {
    /// The `callback_url` the message was sent with, if any.
    pub url: Option<String>,
    /// `Content-Type`, `X-Request-Timestamp` and `X-Request-Signature`.
    pub headers: Vec<(String, String)>,
    /// The `RequestStatus` JSON.
    pub body: String,
}

impl SignedReport {
    /// Signs `status` (a `RequestStatus` object, serialized as JSON) with `token` at
    /// `timestamp` (Unix seconds).
    pub fn sign(token: &str, timestamp: i64, status: &impl Serialize) -> Self {
        let body = serde_json::to_string(status).expect("a RequestStatus serializes");
        let ts = timestamp.to_string();
        let signature = report_signature(token, &ts, &body);
        Self {
            url: None,
            headers: vec![
                ("content-type".into(), "application/json".into()),
                (TIMESTAMP_HEADER.into(), ts),
                (SIGNATURE_HEADER.into(), signature),
            ],
            body,
        }
    }

    /// The report as the gateway hands it to `parse_callback`.
    pub fn to_callback_request(&self, received_at: OffsetDateTime) -> CallbackRequest {
        CallbackRequest {
            method: "POST".into(),
            url: self
                .url
                .clone()
                .unwrap_or_else(|| "https://gateway.test/v1/callbacks/telegram".into()),
            headers: self.headers.clone(),
            body: self.body.clone(),
            received_at,
        }
    }
}

/// A running fake; stopped when dropped.
#[derive(Debug)]
pub struct FakeTelegram {
    /// Base URL to put in the adapter's `base_url` setting.
    pub base_url: String,
    server: FakeServer<State, Received>,
}

impl FakeTelegram {
    /// Starts a fake that accepts `token`.
    pub fn start(token: &str) -> Self {
        let state = State {
            token: token.to_owned(),
            ..State::default()
        };
        let server = FakeServer::start("telegram", state, process);
        Self {
            base_url: server.base_url.clone(),
            server,
        }
    }

    fn lock(&self) -> MutexGuard<'_, (State, Log<Received>)> {
        self.server.lock()
    }

    /// Sets what happens to every phone without its own behaviour.
    pub fn set_behaviour(&self, behaviour: Behaviour) {
        self.lock().0.global = behaviour;
    }

    /// Sets what happens to one phone (E.164).
    pub fn set_phone_behaviour(&self, phone: &str, behaviour: Behaviour) {
        self.lock().0.per_phone.insert(phone.to_owned(), behaviour);
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Received> {
        self.server.requests()
    }

    /// Protocol violations seen so far; empty when the adapter spoke the API correctly.
    pub fn violations(&self) -> Vec<String> {
        self.server.violations()
    }

    /// The last code accepted for `phone`, as the phone would display it.
    pub fn last_code(&self, phone: &str) -> Option<String> {
        let guard = self.lock();
        let state = &guard.0;
        let mut sent: Vec<_> = state
            .sent
            .iter()
            .filter(|(_, m)| m.phone_number == phone)
            .collect();
        sent.sort_by_key(|(id, _)| id_number(id));
        sent.last().map(|(_, m)| m.code.clone())
    }

    /// The `request_id` of the message accepted last, if any.
    pub fn last_request_id(&self) -> Option<String> {
        self.lock()
            .0
            .sent
            .keys()
            .max_by_key(|id| id_number(id))
            .cloned()
    }

    /// A signed report that the message accepted as `request_id` reached `status`
    /// (`sent`, `delivered`, `read`, `expired`, `revoked`) at `timestamp`.
    pub fn report(&self, request_id: &str, status: &str, timestamp: i64) -> Option<SignedReport> {
        let guard = self.lock();
        let state = &guard.0;
        let sent = state.sent.get(request_id)?;
        let mut body = wire::request_status(request_id, &sent.phone_number, 0.01, None);
        if let Some(fields) = body.as_object_mut() {
            fields.remove("remaining_balance");
        }
        body["is_refunded"] = (status == "expired").into();
        body["delivery_status"] = serde_json::json!({ "status": status, "updated_at": timestamp });
        if let Some(payload) = &sent.payload {
            body["payload"] = payload.as_str().into();
        }
        let mut report = SignedReport::sign(&state.token, timestamp, &body);
        report.url = sent.callback_url.clone();
        Some(report)
    }
}

fn id_number(id: &str) -> u64 {
    id.rsplit('_')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}
