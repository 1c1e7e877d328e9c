//! A fake of an integrator's service behind the generic HTTP adapter
//! (docs/adapters/http.md), on `127.0.0.1:0`: it takes the documented JSON, checks the
//! Standard Webhooks signature with the specification's own Rust library
//! (`standardwebhooks`, not the SDK's code that signed it), answers per the configured
//! behaviour, and signs delivery reports with that library too.
//!
//! Anything the contract does not allow (not JSON, an undocumented or missing field, a
//! phone that is not E.164, an unknown encoding) is answered 400 and recorded as a
//! violation; a bad signature is answered 401 and counted, not a violation, because tests
//! send wrong signatures on purpose. How a request is answered is decided by, first, the
//! query of the URL it was sent to (the conformance convention: `?conformance=stall`,
//! `?status=429&retry_after=7&kind=throttled`), then the phone's own behaviour, then the
//! fake's default.

use crate::server::{FakeServer, Log};
use gateway_sdk::CallbackRequest;
use server::{State, process};
use std::sync::MutexGuard;
use std::time::Duration;
use time::OffsetDateTime;

mod server;

/// The signing secret the fake is started with by default, and the one
/// `examples/providers.toml` reads from `HTTP_ADAPTER_SIGNING_SECRET`.
pub const FAKE_SECRET: &str = "whsec_4ccJcvHRtaxvS/c9u/W2sxgQEjFXvAzfPpzmTIbwPwk=";

/// What the fake answers to a valid, correctly signed request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Behaviour {
    /// `200 {"id": "hr_{n}", "status": "queued"}`.
    #[default]
    Accept,
    /// This status with `{"error": {"kind", "code", "message"}}` (fields left out when
    /// `None`) and `Retry-After` when given.
    Answer {
        /// HTTP status.
        status: u16,
        /// `error.kind` (an SDK kind such as `unreachable`).
        kind: Option<String>,
        /// `Retry-After` in seconds.
        retry_after: Option<u64>,
    },
    /// Answer only after this long, and then with an empty object (not an acceptance).
    Stall(Duration),
    /// Accept, but answer only after this long.
    Slow(Duration),
    /// `200` with a body that is not the documented JSON.
    Malformed,
}

impl Behaviour {
    /// An error answer with this status and no `error.kind`.
    pub fn status(status: u16) -> Self {
        Self::Answer {
            status,
            kind: None,
            retry_after: None,
        }
    }
}

/// One request as the fake received it.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    /// The query string of the URL it went to (`""` if none).
    pub query: String,
    /// Headers, names lowercase.
    pub headers: Vec<(String, String)>,
    /// The body as JSON (`Null` if it was not JSON).
    pub body: serde_json::Value,
    /// Whether the signature verified.
    pub signed: bool,
}

impl Received {
    /// A header by lowercase name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A message the fake accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The id the fake answered (`hr_{n}`).
    pub id: String,
    /// `message_id` of the request.
    pub message_id: String,
    /// `to`.
    pub to: String,
    /// `code`: what the phone would show.
    pub code: String,
    /// `callback_url`, if given.
    pub callback_url: Option<String>,
}

/// A delivery report as the integrator's service posts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedReport {
    /// The `callback_url` of the message, if it had one.
    pub url: Option<String>,
    /// `content-type` and the three `webhook-*` headers.
    pub headers: Vec<(String, String)>,
    /// `{"id", "status", "at"[, "error_code"]}`.
    pub body: String,
}

impl SignedReport {
    /// Signs `body` with `secret` as Standard Webhooks message `webhook_id` at
    /// `timestamp`, with the specification's library.
    pub fn sign(secret: &str, webhook_id: &str, timestamp: i64, body: String) -> Self {
        let hook = standardwebhooks::Webhook::new(secret).expect("a whsec_ secret");
        let signature = hook
            .sign(webhook_id, timestamp, body.as_bytes())
            .expect("a UTF-8 body signs");
        Self {
            url: None,
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("webhook-id".into(), webhook_id.into()),
                ("webhook-timestamp".into(), timestamp.to_string()),
                ("webhook-signature".into(), signature),
            ],
            body,
        }
    }

    /// As the gateway hands it to `parse_callback`.
    pub fn to_callback_request(&self, received_at: OffsetDateTime) -> CallbackRequest {
        CallbackRequest {
            method: "POST".into(),
            url: self
                .url
                .clone()
                .unwrap_or_else(|| "https://gateway.test/v1/callbacks/http".into()),
            headers: self.headers.clone(),
            body: self.body.clone(),
            received_at,
        }
    }
}

/// The report body for provider id `id` reaching `status` at `timestamp`.
pub fn report_body(id: &str, status: &str, timestamp: i64, error_code: Option<&str>) -> String {
    let at = OffsetDateTime::from_unix_timestamp(timestamp)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        });
    let mut body = serde_json::json!({ "id": id, "status": status, "at": at });
    if let Some(code) = error_code {
        body["error_code"] = code.into();
    }
    body.to_string()
}

/// A running fake; stopped when dropped.
#[derive(Debug)]
pub struct FakeReceiver {
    /// The URL to put in the adapter's `url` setting (`http://127.0.0.1:{port}/sms`).
    pub url: String,
    /// The signing secret it verifies with.
    pub secret: String,
    server: FakeServer<State, Received>,
}

impl FakeReceiver {
    /// Starts a fake that verifies with `secret` (`whsec_…`).
    pub fn start(secret: &str) -> Self {
        let state = State::new(secret);
        let server = FakeServer::start("http-receiver", state, process);
        Self {
            url: format!("{}/sms", server.base_url),
            secret: secret.to_owned(),
            server,
        }
    }

    fn lock(&self) -> MutexGuard<'_, (State, Log<Received>)> {
        self.server.lock()
    }

    /// The adapter settings that point at this fake.
    pub fn settings_json(&self) -> serde_json::Value {
        serde_json::json!({ "url": self.url, "signing_secret": self.secret })
    }

    /// Sets the answer for phones without their own behaviour.
    pub fn set_default(&self, behaviour: Behaviour) {
        self.lock().0.default = behaviour;
    }

    /// Sets the answer for one phone (E.164).
    pub fn set_phone_behaviour(&self, phone: &str, behaviour: Behaviour) {
        self.lock().0.per_phone.insert(phone.to_owned(), behaviour);
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Received> {
        self.server.requests()
    }

    /// Every message accepted so far, in order.
    pub fn accepted(&self) -> Vec<Accepted> {
        self.lock().0.accepted.clone()
    }

    /// Requests refused for their signature so far.
    pub fn refused_signatures(&self) -> usize {
        self.lock().0.refused_signatures
    }

    /// Contract violations seen so far; empty when the adapter kept the contract.
    pub fn violations(&self) -> Vec<String> {
        self.server.violations()
    }

    /// A signed report that accepted message `id` reached `status` at `timestamp`.
    pub fn report(
        &self,
        id: &str,
        status: &str,
        timestamp: i64,
        error_code: Option<&str>,
    ) -> Option<SignedReport> {
        let accepted = self.accepted().into_iter().find(|a| a.id == id)?;
        let body = report_body(id, status, timestamp, error_code);
        let webhook_id = format!("rep_{id}_{status}_{timestamp}");
        let mut report = SignedReport::sign(&self.secret, &webhook_id, timestamp, body);
        report.url = accepted.callback_url;
        Some(report)
    }
}
