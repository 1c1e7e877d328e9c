//! The receiver's HTTP side: one function that checks the signature and the documented
//! body, records violations, and answers per the URL's query, the phone or the default.

use super::{Accepted, Behaviour, Received};
use crate::server::{Incoming, Log, Reply};
use serde::Deserialize;
use std::collections::HashMap;
use std::time::Duration;

/// How long `?conformance=stall` holds its answer (the kit's deadline is 300 ms).
const STALL: Duration = Duration::from_secs(5);

pub(super) struct State {
    hook: standardwebhooks::Webhook,
    pub(super) default: Behaviour,
    pub(super) per_phone: HashMap<String, Behaviour>,
    pub(super) accepted: Vec<Accepted>,
    pub(super) refused_signatures: usize,
}

impl State {
    pub(super) fn new(secret: &str) -> Self {
        Self {
            hook: standardwebhooks::Webhook::new(secret).expect("a whsec_ secret"),
            default: Behaviour::Accept,
            per_phone: HashMap::new(),
            accepted: Vec::new(),
            refused_signatures: 0,
        }
    }
}

/// The documented request body, every field required (`null` where allowed) and no
/// other field: what the adapter must send, no more and no less.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SendBody {
    message_id: String,
    to: String,
    text: String,
    code: String,
    encoding: Option<String>,
    segments: Option<u32>,
    ttl: u64,
    callback_url: Option<String>,
    sender_id: Option<String>,
    language: String,
}

fn error(status: u16, kind: Option<&str>, message: &str) -> Reply {
    let mut err = serde_json::json!({ "message": message });
    if let Some(kind) = kind {
        err["kind"] = kind.into();
        err["code"] = format!("FAKE_{}", kind.to_ascii_uppercase()).into();
    }
    Reply::json(status, serde_json::json!({ "error": err }).to_string())
}

fn headers(req: &Incoming) -> http::HeaderMap {
    let mut map = http::HeaderMap::new();
    for (k, v) in &req.headers {
        if let (Ok(k), Ok(v)) = (
            http::HeaderName::from_bytes(k.as_bytes()),
            http::HeaderValue::from_str(v),
        ) {
            map.append(k, v);
        }
    }
    map
}

/// The behaviour a URL's query asks for (the conformance convention), if any.
fn from_query(query: &str) -> Option<Behaviour> {
    let params: HashMap<String, String> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    if let Some(scenario) = params.get("conformance") {
        return Some(match scenario.as_str() {
            "client_error" => Behaviour::Answer {
                status: 422,
                kind: Some("rejected".into()),
                retry_after: None,
            },
            "server_error" => Behaviour::status(503),
            "stall" => Behaviour::Stall(STALL),
            "malformed" => Behaviour::Malformed,
            _ => Behaviour::Accept,
        });
    }
    let status = params.get("status")?.parse().ok()?;
    Some(Behaviour::Answer {
        status,
        kind: params.get("kind").cloned(),
        retry_after: params.get("retry_after").and_then(|s| s.parse().ok()),
    })
}

fn is_e164(phone: &str) -> bool {
    phone.strip_prefix('+').is_some_and(|d| {
        (8..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()) && !d.starts_with('0')
    })
}

/// What in a parsed body breaks the contract, if anything.
fn contract_problem(body: &SendBody) -> Option<String> {
    if !is_e164(&body.to) {
        return Some("`to` is not E.164".into());
    }
    if body.message_id.is_empty() || body.text.is_empty() || body.code.is_empty() {
        return Some("`message_id`, `text` and `code` must not be empty".into());
    }
    if let Some(enc) = &body.encoding
        && enc != "GSM-7"
        && enc != "UCS-2"
    {
        return Some(format!("`encoding` is `{enc}`, not GSM-7 or UCS-2"));
    }
    if body.segments == Some(0) || body.ttl == 0 || body.language.is_empty() {
        return Some("`segments` and `ttl` must be positive, `language` set".into());
    }
    if let Some(url) = &body.callback_url
        && !(url.starts_with("https://") || url.starts_with("http://"))
    {
        return Some("`callback_url` is not an http(s) URL".into());
    }
    if body.sender_id.as_deref() == Some("") {
        return Some("`sender_id` is empty rather than null".into());
    }
    None
}

pub(super) fn process(state: &mut State, log: &mut Log<Received>, req: &Incoming) -> Reply {
    let signed = state.hook.verify(&req.body, &headers(req)).is_ok();
    log.record(Received {
        query: req.query.clone(),
        headers: req.headers.clone(),
        body: serde_json::from_slice(&req.body).unwrap_or(serde_json::Value::Null),
        signed,
    });
    if req.method != "POST" || req.path != "/sms" {
        log.violation(req, "the adapter POSTs to the configured URL only");
        return error(404, None, "no such endpoint");
    }
    let json = req
        .headers
        .iter()
        .any(|(k, v)| k == "content-type" && v.starts_with("application/json"));
    if !json {
        log.violation(req, "content-type is not application/json");
        return error(415, None, "send application/json");
    }
    if !signed {
        state.refused_signatures += 1;
        return error(401, Some("auth"), "webhook signature rejected");
    }
    let body: SendBody = match serde_json::from_slice(&req.body) {
        Ok(b) => b,
        Err(e) => {
            log.violation(req, &format!("body does not follow the contract: {e}"));
            return error(400, Some("rejected"), "body does not follow the contract");
        }
    };
    if let Some(problem) = contract_problem(&body) {
        log.violation(req, &problem);
        return error(400, Some("rejected"), &problem);
    }
    let behaviour = from_query(&req.query)
        .or_else(|| state.per_phone.get(&body.to).cloned())
        .unwrap_or_else(|| state.default.clone());
    match behaviour {
        Behaviour::Accept | Behaviour::Slow(_) => {
            let id = format!("hr_{}", state.accepted.len() + 1);
            state.accepted.push(Accepted {
                id: id.clone(),
                message_id: body.message_id,
                to: body.to,
                code: body.code,
                callback_url: body.callback_url,
            });
            let answer = serde_json::json!({ "id": id, "status": "queued" });
            let reply = Reply::json(200, answer.to_string());
            match behaviour {
                Behaviour::Slow(delay) => reply.after(delay),
                _ => reply,
            }
        }
        Behaviour::Answer {
            status,
            kind,
            retry_after,
        } => {
            let reply = error(status, kind.as_deref(), "answered as configured");
            match retry_after {
                Some(secs) => reply.with_header("retry-after", &secs.to_string()),
                None => reply,
            }
        }
        Behaviour::Stall(delay) => Reply::json(200, "{}").after(delay),
        Behaviour::Malformed => {
            Reply::json(200, "<html>upstream</html>").with_header("content-type", "text/html")
        }
    }
}
