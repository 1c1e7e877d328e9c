//! The fake's HTTP side: one function that validates each request against the Cloud
//! API's rules for authentication templates, records violations, and answers per the
//! configured behaviour with Graph API shapes.

use super::wire::{self, Component, TemplateMessage};
use super::{Behaviour, FakeAccount, Received};
use crate::server::{Incoming, Log, Reply};
use serde_json::json;
use std::collections::HashMap;

#[derive(Debug, Default)]
pub(super) struct State {
    pub(super) account: FakeAccount,
    pub(super) global: Behaviour,
    pub(super) per_phone: HashMap<String, Behaviour>,
    pub(super) next_id: u64,
    /// message id → (recipient digits, code).
    pub(super) sent: HashMap<String, (String, String)>,
}

fn graph_error(http_status: u16, code: i64, message: &str) -> Reply {
    Reply::json(http_status, wire::graph_error(code, message))
}

pub(super) fn process(state: &mut State, log: &mut Log<Received>, req: &Incoming) -> Reply {
    let account = state.account.clone();
    let received = Received::from(req);
    log.record(received.clone());
    let mut violation = |what: String, http_status: u16, code: i64| {
        log.violation(req, &what);
        graph_error(http_status, code, &what)
    };
    let parts: Vec<&str> = req.path.trim_matches('/').split('/').collect();
    let [version, phone_number_id, "messages"] = parts.as_slice() else {
        return violation(
            "unknown path; expected /{version}/{phone_number_id}/messages".into(),
            400,
            100,
        );
    };
    if *version != account.api_version {
        return violation(
            format!("API version {version} is not the configured one"),
            400,
            100,
        );
    }
    if req.method != "POST" {
        return violation("messages must be POSTed".into(), 405, 100);
    }
    let Some(token) = received
        .authorization
        .as_deref()
        .and_then(|a| a.strip_prefix("Bearer "))
    else {
        return violation("An active access token must be used".into(), 401, 2500);
    };
    if !received
        .content_type
        .as_deref()
        .is_some_and(|c| c.starts_with("application/json"))
    {
        return violation("body is not application/json".into(), 400, 100);
    }
    if token != account.access_token {
        return graph_error(
            401,
            190,
            "Invalid OAuth access token - Cannot parse access token",
        );
    }
    if *phone_number_id != account.phone_number_id {
        return graph_error(400, 100, "Unsupported post request. Object does not exist");
    }
    let msg: TemplateMessage = match serde_json::from_slice(&req.body) {
        Ok(m) => m,
        Err(e) => return violation(format!("bad body: {e}"), 400, 100),
    };
    let code = match template_problem(&msg) {
        Ok(code) => code,
        Err((what, error_code)) => return violation(what, 400, error_code),
    };
    let languages = account.templates.get(&msg.template.name);
    if !languages.is_some_and(|l| l.contains(&msg.template.language.code)) {
        return graph_error(
            404,
            132001,
            "Template name does not exist in the translation",
        );
    }
    let to = msg.to.trim_start_matches('+').to_owned();
    match state.per_phone.get(&to).unwrap_or(&state.global).clone() {
        Behaviour::Accept => accept(state, to, code),
        Behaviour::Fail {
            http_status,
            code,
            message,
        } => graph_error(http_status, code, &message),
        Behaviour::Stall(d) => accept(state, to, code).after(d),
        Behaviour::Malformed => Reply::json(200, "<html>upstream error</html>"),
    }
}

fn accept(state: &mut State, to: String, code: String) -> Reply {
    state.next_id += 1;
    let id = format!("wamid.FAKE{}", state.next_id);
    let answer = json!({
        "messaging_product": "whatsapp",
        "contacts": [{ "input": to, "wa_id": to }],
        "messages": [{ "id": id }]
    });
    state.sent.insert(id, (to, code));
    Reply::json(200, answer.to_string())
}

/// Checks the authentication-template rules; returns the code, or what is wrong and the
/// Graph error code Meta would answer.
fn template_problem(msg: &TemplateMessage) -> Result<String, (String, i64)> {
    if msg.messaging_product != "whatsapp" || msg.kind != "template" {
        return Err((
            "messaging_product must be `whatsapp` and type `template`".into(),
            100,
        ));
    }
    if msg
        .recipient_type
        .as_deref()
        .is_some_and(|r| r != "individual")
    {
        return Err(("recipient_type must be `individual`".into(), 100));
    }
    let digits = msg.to.trim_start_matches('+');
    if !(7..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(("`to` is not a phone number".into(), 131009));
    }
    let single_text = |c: &Component| match c.parameters.as_slice() {
        [p] if p.kind == "text" => Some(p.text.clone()),
        _ => None,
    };
    let [body, button] = msg.template.components.as_slice() else {
        return Err((
            "an authentication template takes a body and a button component".into(),
            132000,
        ));
    };
    let body_code = (body.kind == "body" && body.sub_type.is_none() && body.index.is_none())
        .then(|| single_text(body))
        .flatten();
    let button_code = (button.kind == "button"
        && button.sub_type.as_deref() == Some("url")
        && button.index.as_deref() == Some("0"))
    .then(|| single_text(button))
    .flatten();
    match (body_code, button_code) {
        (Some(a), Some(b))
            if a == b && !a.is_empty() && a.chars().count() <= wire::CODE_MAX_CHARS =>
        {
            Ok(a)
        }
        (Some(a), Some(b)) if a == b => Err(("the code must be 1-15 characters".into(), 131009)),
        _ => Err((
            "body and url button must each carry the same single text parameter".into(),
            132000,
        )),
    }
}
