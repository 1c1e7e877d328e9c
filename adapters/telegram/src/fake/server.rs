//! The fake's HTTP side: one handler that validates each request against the Gateway
//! API's documented rules, records violations, and answers per the configured behaviour.

use super::{Behaviour, Received};
use crate::request::{self, CheckSendAbility, Envelope, RequestStatus, SendVerificationMessage};
use actix_web::{HttpRequest, HttpResponse, web};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A `checkSendAbility` answer that may be spent once.
#[derive(Debug)]
pub(super) struct Check {
    pub(super) phone: String,
    pub(super) spent: bool,
}

#[derive(Debug, Default)]
pub(super) struct State {
    pub(super) token: String,
    pub(super) global: Behaviour,
    pub(super) per_phone: HashMap<String, Behaviour>,
    pub(super) received: Vec<Received>,
    pub(super) violations: Vec<String>,
    pub(super) next_id: u64,
    pub(super) checks: HashMap<String, Check>,
    pub(super) sent: HashMap<String, SendVerificationMessage>,
}

/// What to answer.
enum Reply {
    Now(u16, String),
    After(Duration, u16, String),
}

pub(super) async fn handle(
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
