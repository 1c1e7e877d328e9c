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
use crate::request::{
    self, CheckSendAbility, DeliveryState, Envelope, RequestStatus, SendVerificationMessage,
};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use gateway_sdk::CallbackRequest;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use time::OffsetDateTime;

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

/// A `checkSendAbility` answer that may be spent once.
#[derive(Debug)]
struct Check {
    phone: String,
    spent: bool,
}

#[derive(Debug, Default)]
struct State {
    token: String,
    global: Behaviour,
    per_phone: HashMap<String, Behaviour>,
    received: Vec<Received>,
    violations: Vec<String>,
    next_id: u64,
    checks: HashMap<String, Check>,
    sent: HashMap<String, SendVerificationMessage>,
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

/// What to answer.
enum Reply {
    Now(u16, String),
    After(Duration, u16, String),
}

async fn handle(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<Arc<Mutex<State>>>,
) -> HttpResponse {
    let reply = {
        let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
        process(&mut state, &req, &body)
    };
    let (status, text) = match reply {
        Reply::Now(s, t) => (s, t),
        Reply::After(d, s, t) => {
            actix_rt::time::sleep(d).await;
            (s, t)
        }
    };
    let code = actix_web::http::StatusCode::from_u16(status).expect("valid status");
    HttpResponse::build(code)
        .content_type("application/json")
        .body(text)
}

fn error(http_status: u16, error: &str) -> Reply {
    let env = Envelope {
        ok: false,
        result: None,
        error: Some(error.to_owned()),
    };
    Reply::Now(
        http_status,
        serde_json::to_string(&env).expect("serializes"),
    )
}

fn header(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn process(state: &mut State, req: &HttpRequest, body: &[u8]) -> Reply {
    let received = Received {
        path: req.path().to_owned(),
        authorization: header(req, "authorization"),
        content_type: header(req, "content-type"),
        body: serde_json::from_slice(body).unwrap_or(serde_json::Value::Null),
    };
    state.received.push(received.clone());
    let violation = |state: &mut State, what: String, http_status: u16, err: &str| {
        state
            .violations
            .push(format!("{} {}: {what}", req.method(), req.path()));
        error(http_status, err)
    };
    let method = req.path().trim_start_matches('/').to_ascii_lowercase();
    if method != "checksendability" && method != "sendverificationmessage" {
        return violation(
            state,
            "no such Gateway API method".into(),
            404,
            "METHOD_NOT_FOUND",
        );
    }
    if req.method() != actix_web::http::Method::POST {
        return violation(
            state,
            "this adapter must POST".into(),
            405,
            "METHOD_NOT_ALLOWED",
        );
    }
    let token = match received
        .authorization
        .as_deref()
        .and_then(|a| a.strip_prefix("Bearer "))
    {
        Some(t) => t.to_owned(),
        None => {
            return violation(
                state,
                "missing Bearer token".into(),
                401,
                "ACCESS_TOKEN_REQUIRED",
            );
        }
    };
    if !received
        .content_type
        .as_deref()
        .is_some_and(|c| c.starts_with("application/json"))
    {
        return violation(
            state,
            "body is not application/json".into(),
            400,
            "CONTENT_TYPE_INVALID",
        );
    }
    if token != state.token {
        return error(401, "ACCESS_TOKEN_INVALID");
    }
    if method == "checksendability" {
        let check: CheckSendAbility = match serde_json::from_slice(body) {
            Ok(c) => c,
            Err(e) => return violation(state, format!("bad body: {e}"), 400, "PARAMS_INVALID"),
        };
        if !is_e164(&check.phone_number) {
            return violation(
                state,
                "phone_number is not E.164".into(),
                400,
                "PHONE_NUMBER_INVALID",
            );
        }
        let phone = check.phone_number;
        with_behaviour(state, &phone.clone(), move |state| {
            let id = new_id(state);
            state.checks.insert(
                id.clone(),
                Check {
                    phone: phone.clone(),
                    spent: false,
                },
            );
            status_reply(&id, &phone, 0.01, None)
        })
    } else {
        let msg: SendVerificationMessage = match serde_json::from_slice(body) {
            Ok(m) => m,
            Err(e) => return violation(state, format!("bad body: {e}"), 400, "PARAMS_INVALID"),
        };
        if let Some(problem) = send_problem(&msg) {
            let err = format!(
                "{}_INVALID",
                problem
                    .split(' ')
                    .next()
                    .unwrap_or("PARAMS")
                    .to_ascii_uppercase()
            );
            return violation(state, problem, 400, &err);
        }
        let phone = msg.phone_number.clone();
        with_behaviour(state, &phone, move |state| {
            let (id, cost) = match &msg.request_id {
                Some(id) => match state.checks.get_mut(id) {
                    Some(check) if !check.spent && check.phone == msg.phone_number => {
                        check.spent = true;
                        (id.clone(), 0.0)
                    }
                    _ => return error(400, "REQUEST_ID_INVALID"),
                },
                None => (new_id(state), 0.01),
            };
            let reply = status_reply(&id, &msg.phone_number, cost, msg.payload.clone());
            state.sent.insert(id, msg);
            reply
        })
    }
}

fn with_behaviour(
    state: &mut State,
    phone: &str,
    accept: impl FnOnce(&mut State) -> Reply,
) -> Reply {
    let behaviour = state.per_phone.get(phone).unwrap_or(&state.global).clone();
    match behaviour {
        Behaviour::Accept => accept(state),
        Behaviour::Fail {
            http_status,
            error: e,
        } => error(http_status, &e),
        Behaviour::Stall(d) => match accept(state) {
            Reply::Now(s, t) | Reply::After(_, s, t) => Reply::After(d, s, t),
        },
        Behaviour::Malformed => Reply::Now(200, "{\"ok\": tru".into()),
    }
}

fn new_id(state: &mut State) -> String {
    state.next_id += 1;
    format!("tgreq_{}", state.next_id)
}

fn status_reply(id: &str, phone: &str, cost: f64, payload: Option<String>) -> Reply {
    let result = RequestStatus {
        request_id: id.to_owned(),
        phone_number: phone.to_owned(),
        request_cost: cost,
        is_refunded: None,
        remaining_balance: Some(100.0),
        delivery_status: None,
        verification_status: None,
        payload,
    };
    let env = Envelope {
        ok: true,
        result: Some(result),
        error: None,
    };
    Reply::Now(200, serde_json::to_string(&env).expect("serializes"))
}

fn is_e164(phone: &str) -> bool {
    phone.strip_prefix('+').is_some_and(|d| {
        (7..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()) && !d.starts_with('0')
    })
}

/// The first documented rule `msg` breaks, named after the field.
fn send_problem(msg: &SendVerificationMessage) -> Option<String> {
    if !is_e164(&msg.phone_number) {
        return Some("phone_number is not E.164".into());
    }
    if request::check_code(&msg.code).is_err() {
        return Some("code must be 4-8 digits".into());
    }
    if !(request::TTL_MIN_SECS..=request::TTL_MAX_SECS).contains(&msg.ttl) {
        return Some(format!("ttl {} is outside 30-3600", msg.ttl));
    }
    if msg
        .payload
        .as_ref()
        .is_some_and(|p| p.len() > request::PAYLOAD_MAX_BYTES)
    {
        return Some("payload is longer than 128 bytes".into());
    }
    if let Some(url) = &msg.callback_url {
        // Telegram wants HTTPS; plain HTTP is allowed to loopback only, for tests.
        let loopback = url.starts_with("http://127.0.0.1") || url.starts_with("http://localhost");
        if url.len() > request::CALLBACK_URL_MAX_BYTES || !(url.starts_with("https://") || loopback)
        {
            return Some("callback_url must be an HTTPS URL of at most 256 bytes".into());
        }
    }
    if msg
        .sender_username
        .as_ref()
        .is_some_and(|u| u.is_empty() || u.starts_with('@'))
    {
        return Some("sender_username must be a bare channel username".into());
    }
    None
}
