//! The fake's HTTP side: one function that validates each request against the Gateway
//! API's documented rules, records violations, and answers per the configured behaviour.

use super::wire::{self, CheckSendAbility, SendVerificationMessage};
use super::{Behaviour, Received};
use crate::server::{Incoming, Log, Reply};
use std::collections::HashMap;

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
    pub(super) next_id: u64,
    pub(super) checks: HashMap<String, Check>,
    pub(super) sent: HashMap<String, SendVerificationMessage>,
}

fn error(http_status: u16, error: &str) -> Reply {
    Reply::json(http_status, wire::error(error))
}

pub(super) fn process(state: &mut State, log: &mut Log<Received>, req: &Incoming) -> Reply {
    let received = Received::from(req);
    log.record(received.clone());
    let mut violation = |what: String, http_status: u16, err: &str| {
        log.violation(req, &what);
        error(http_status, err)
    };
    let method = req.path.trim_start_matches('/').to_ascii_lowercase();
    if method != "checksendability" && method != "sendverificationmessage" {
        return violation("no such Gateway API method".into(), 404, "METHOD_NOT_FOUND");
    }
    if req.method != "POST" {
        return violation("this adapter must POST".into(), 405, "METHOD_NOT_ALLOWED");
    }
    let token = match received
        .authorization
        .as_deref()
        .and_then(|a| a.strip_prefix("Bearer "))
    {
        Some(t) => t.to_owned(),
        None => {
            return violation("missing Bearer token".into(), 401, "ACCESS_TOKEN_REQUIRED");
        }
    };
    if !received
        .content_type
        .as_deref()
        .is_some_and(|c| c.starts_with("application/json"))
    {
        return violation(
            "body is not application/json".into(),
            400,
            "CONTENT_TYPE_INVALID",
        );
    }
    if token != state.token {
        return error(401, "ACCESS_TOKEN_INVALID");
    }
    if method == "checksendability" {
        let check: CheckSendAbility = match serde_json::from_slice(&req.body) {
            Ok(c) => c,
            Err(e) => return violation(format!("bad body: {e}"), 400, "PARAMS_INVALID"),
        };
        if !is_e164(&check.phone_number) {
            return violation(
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
        let msg: SendVerificationMessage = match serde_json::from_slice(&req.body) {
            Ok(m) => m,
            Err(e) => return violation(format!("bad body: {e}"), 400, "PARAMS_INVALID"),
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
            return violation(problem, 400, &err);
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
            let reply = status_reply(&id, &msg.phone_number, cost, msg.payload.as_deref());
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
        Behaviour::Stall(d) => accept(state).after(d),
        Behaviour::Malformed => Reply::json(200, "{\"ok\": tru"),
    }
}

fn new_id(state: &mut State) -> String {
    state.next_id += 1;
    format!("tgreq_{}", state.next_id)
}

fn status_reply(id: &str, phone: &str, cost: f64, payload: Option<&str>) -> Reply {
    Reply::json(
        200,
        wire::ok(wire::request_status(id, phone, cost, payload)),
    )
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
    if !(wire::CODE_DIGITS.contains(&msg.code.len())
        && msg.code.bytes().all(|b| b.is_ascii_digit()))
    {
        return Some("code must be 4-8 digits".into());
    }
    if !wire::TTL_SECS.contains(&msg.ttl) {
        return Some(format!("ttl {} is outside 30-3600", msg.ttl));
    }
    if msg
        .payload
        .as_ref()
        .is_some_and(|p| p.len() > wire::PAYLOAD_MAX_BYTES)
    {
        return Some("payload is longer than 128 bytes".into());
    }
    if let Some(url) = &msg.callback_url {
        // Telegram wants HTTPS; plain HTTP is allowed to loopback only, for tests.
        let loopback = url.starts_with("http://127.0.0.1") || url.starts_with("http://localhost");
        if url.len() > wire::CALLBACK_URL_MAX_BYTES || !(url.starts_with("https://") || loopback) {
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
