//! A fake "Example SMS" API for the tests and for `cargo run --example fake`. Make it
//! speak your provider's API the way its documentation says.
//!
//! It never asserts: a request the real API would refuse is answered with the provider's
//! own error *and* recorded as a violation, which the tests check is empty. (An assertion
//! in the server's task would be swallowed and surface as an unrelated send error.)
//! The HTTP server itself is the shared scaffolding of `fake-providers` (actix-web).

#![allow(dead_code)] // each user (test, example) takes what it needs

use fake_providers::server::{FakeServer, Incoming, JsonRequest, Log, Reply};
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

/// How the fake answers a valid send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// `200 {"id": "ex_N"}`.
    Accept,
    /// `{"error": {"code", "message"}}` with this HTTP status (many aggregators use 200).
    Error {
        /// HTTP status.
        http_status: u16,
        /// The provider's documented error code.
        code: u32,
    },
    /// `503` without a body.
    ServerError,
    /// No answer for 10 minutes.
    Stall,
    /// `200` with a cut-off body.
    Malformed,
}

impl Answer {
    /// Parses `"<http status> <error code>"` (e.g. `"200 3"`), the form the conformance
    /// test's error table uses.
    pub fn parse(text: &str) -> Option<Self> {
        let (status, code) = text.split_once(' ')?;
        Some(Self::Error {
            http_status: status.trim().parse().ok()?,
            code: code.trim().parse().ok()?,
        })
    }
}

/// The provider's documented error messages, by code.
fn message(code: u32) -> &'static str {
    match code {
        1 => "invalid phone number",
        2 => "wrong API key",
        3 => "insufficient funds",
        4 => "account blocked",
        5 => "too many requests",
        6 => "destination not served",
        7 => "sender name not allowed",
        _ => "temporary failure",
    }
}

/// The documented request body (anything else is refused).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // read by serde to check the shape
struct MessageRequest {
    to: String,
    text: String,
    reference: String,
    #[serde(default)]
    sender: Option<String>,
}

#[derive(Debug)]
struct State {
    api_key: String,
    answer: Answer,
    next_id: u64,
}

/// A running fake; stops when dropped.
#[derive(Debug)]
pub struct FakeExampleSms {
    /// `http://127.0.0.1:{port}`: the adapter's `base_url`.
    pub base_url: String,
    server: FakeServer<State, JsonRequest>,
}

impl FakeExampleSms {
    /// Starts a fake on `127.0.0.1:0` accepting `api_key`, answering valid sends with
    /// `answer`.
    pub fn start(api_key: &str, answer: Answer) -> Self {
        Self::start_on(([127, 0, 0, 1], 0).into(), api_key, answer)
    }

    /// [`Self::start`] on a fixed address.
    pub fn start_on(addr: std::net::SocketAddr, api_key: &str, answer: Answer) -> Self {
        let state = State {
            api_key: api_key.to_owned(),
            answer,
            next_id: 0,
        };
        let server = FakeServer::start_on("example-sms", addr, state, process);
        Self {
            base_url: server.base_url.clone(),
            server,
        }
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<JsonRequest> {
        self.server.requests()
    }

    /// Requests the real API would refuse; empty when the adapter spoke it correctly.
    pub fn violations(&self) -> Vec<String> {
        self.server.violations()
    }
}

fn error(http_status: u16, code: u32) -> Reply {
    let body = json!({ "error": { "code": code, "message": message(code) } });
    Reply::json(http_status, body.to_string())
}

fn process(state: &mut State, log: &mut Log<JsonRequest>, req: &Incoming) -> Reply {
    log.record(JsonRequest::from(req));
    if req.method != "POST" || req.path != "/v1/messages" {
        log.violation(req, "only POST /v1/messages exists");
        return Reply::json(404, r#"{"error":{"code":404,"message":"not found"}}"#);
    }
    let key = req
        .header("authorization")
        .and_then(|a| a.strip_prefix("Bearer "));
    match key {
        None => {
            log.violation(req, "no `Authorization: Bearer` header");
            return error(401, 2);
        }
        Some(k) if k != state.api_key => return error(401, 2),
        Some(_) => {}
    }
    if let Err(e) = serde_json::from_slice::<MessageRequest>(&req.body) {
        log.violation(req, &format!("body is not the documented JSON: {e}"));
        return error(400, 1);
    }
    match state.answer {
        Answer::Accept => {
            state.next_id += 1;
            Reply::json(
                200,
                json!({ "id": format!("ex_{}", state.next_id) }).to_string(),
            )
        }
        Answer::Error { http_status, code } => {
            let reply = error(http_status, code);
            if code == 5 {
                reply.with_header("retry-after", "2")
            } else {
                reply
            }
        }
        Answer::ServerError => Reply::json(503, ""),
        Answer::Stall => Reply::json(504, "").after(Duration::from_secs(600)),
        Answer::Malformed => Reply::json(200, r#"{"id": "#),
    }
}
