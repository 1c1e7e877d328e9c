//! A fake Telegram Gateway API on `127.0.0.1:0` (actix-web on its own thread), for this
//! crate's tests and the end-to-end tests (feature `fake-server`).
//!
//! It speaks the documented protocol and refuses, like Telegram, what Telegram refuses;
//! when the refusal means the adapter spoke the protocol wrongly (wrong path, missing
//! `Authorization`, not JSON, a missing, unknown or out-of-range field) it also records a
//! violation, and tests assert [`FakeTelegram::violations`] is empty. Behaviours can be
//! set globally or per phone, and [`FakeTelegram::report`] produces correctly signed
//! delivery reports for what it accepted.

use crate::callback::{self, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use crate::request::{DeliveryState, RequestStatus};
use actix_web::{App, HttpServer, web};
use gateway_sdk::CallbackRequest;
use server::{State, handle};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use time::OffsetDateTime;

mod server;

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

/// One request the fake received.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    /// The request path, e.g. `/sendVerificationMessage`.
    pub path: String,
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The body as JSON (`Null` if it was not JSON).
    pub body: serde_json::Value,
}

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
    /// Signs `status` with `token` at `timestamp` (Unix seconds).
    pub fn sign(token: &str, timestamp: i64, status: &RequestStatus) -> Self {
        let body = serde_json::to_string(status).expect("RequestStatus serializes");
        let ts = timestamp.to_string();
        let signature = callback::sign(token, &ts, &body);
        Self {
            url: None,
            headers: vec![
                ("content-type".into(), "application/json".into()),
                (TIMESTAMP_HEADER.to_ascii_lowercase(), ts),
                (SIGNATURE_HEADER.to_ascii_lowercase(), signature),
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
pub struct FakeTelegram {
    /// Base URL to put in the adapter's `base_url` setting.
    pub base_url: String,
    state: Arc<Mutex<State>>,
    server: actix_web::dev::ServerHandle,
}

impl FakeTelegram {
    /// Starts a fake that accepts `token`.
    pub fn start(token: &str) -> Self {
        let state = Arc::new(Mutex::new(State {
            token: token.to_owned(),
            ..State::default()
        }));
        let shared = web::Data::new(state.clone());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(shared.clone())
                        .default_service(web::to(handle))
                })
                .workers(2)
                .disable_signals()
                .bind(("127.0.0.1", 0))
                .expect("bind 127.0.0.1:0");
                let addr = server.addrs()[0];
                let running = server.run();
                tx.send((addr, running.handle()))
                    .expect("the starter waits for the address");
                let _ = running.await;
            });
        });
        let (addr, server) = rx.recv().expect("the fake Telegram server starts");
        Self {
            base_url: format!("http://{addr}"),
            state,
            server,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sets what happens to every phone without its own behaviour.
    pub fn set_behaviour(&self, behaviour: Behaviour) {
        self.lock().global = behaviour;
    }

    /// Sets what happens to one phone (E.164).
    pub fn set_phone_behaviour(&self, phone: &str, behaviour: Behaviour) {
        self.lock().per_phone.insert(phone.to_owned(), behaviour);
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Received> {
        self.lock().received.clone()
    }

    /// Protocol violations seen so far; empty when the adapter spoke the API correctly.
    pub fn violations(&self) -> Vec<String> {
        self.lock().violations.clone()
    }

    /// The last code accepted for `phone`, as the phone would display it.
    pub fn last_code(&self, phone: &str) -> Option<String> {
        let state = self.lock();
        let mut sent: Vec<_> = state
            .sent
            .iter()
            .filter(|(_, m)| m.phone_number == phone)
            .collect();
        sent.sort_by_key(|(id, _)| id_number(id));
        sent.last().map(|(_, m)| m.code.clone())
    }

    /// A signed report that the message accepted as `request_id` reached `status`
    /// (`sent`, `delivered`, `read`, `expired`, `revoked`) at `timestamp`.
    pub fn report(&self, request_id: &str, status: &str, timestamp: i64) -> Option<SignedReport> {
        let state = self.lock();
        let sent = state.sent.get(request_id)?;
        let body = RequestStatus {
            request_id: request_id.to_owned(),
            phone_number: sent.phone_number.clone(),
            request_cost: 0.01,
            is_refunded: Some(status == "expired"),
            remaining_balance: None,
            delivery_status: Some(DeliveryState {
                status: status.to_owned(),
                updated_at: timestamp,
            }),
            verification_status: None,
            payload: sent.payload.clone(),
        };
        let mut report = SignedReport::sign(&state.token, timestamp, &body);
        report.url = sent.callback_url.clone();
        Some(report)
    }
}

impl Drop for FakeTelegram {
    fn drop(&mut self) {
        // `stop` sends the command at once; the returned future only awaits completion.
        drop(self.server.stop(false));
    }
}

fn id_number(id: &str) -> u64 {
    id.rsplit('_')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}
