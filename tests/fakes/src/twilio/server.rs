//! The fake's HTTP side: one function that checks a request against Twilio's rules,
//! records it, and answers per the configured behaviour, plus the handle tests use to
//! set behaviours and inspect what arrived.

use super::callbacks::{signed_status_callback, status_params};
use super::responses::{created_message, documented_error, error_body};
use super::rules::{basic_auth, check};
use super::{AcceptedMessage, Behaviour, FakeAccount, ReceivedRequest, SignedCallback};
use crate::server::{FakeServer, Incoming, Log, Reply};
use std::collections::HashMap;
use std::sync::MutexGuard;
use std::time::Duration;

struct State {
    account: FakeAccount,
    default: Behaviour,
    per_phone: HashMap<String, Behaviour>,
    accepted: Vec<AcceptedMessage>,
    /// Makes sids unique across fakes started in one test binary.
    sid_seed: u128,
}

/// A running fake Twilio. Dropping it stops the server.
#[derive(Debug)]
pub struct FakeTwilio {
    /// `http://127.0.0.1:{port}`: the adapter's `base_url`.
    pub base_url: String,
    server: FakeServer<State, ReceivedRequest>,
}

impl FakeTwilio {
    /// Starts a fake on `127.0.0.1:0` that accepts every valid request.
    pub fn start(account: FakeAccount) -> Self {
        let sid_seed = u128::from(std::process::id()) << 96
            ^ time::OffsetDateTime::now_utc()
                .unix_timestamp_nanos()
                .unsigned_abs();
        let state = State {
            account,
            default: Behaviour::Accept,
            per_phone: HashMap::new(),
            accepted: Vec::new(),
            sid_seed,
        };
        let server = FakeServer::start("twilio", state, process);
        Self {
            base_url: server.base_url.clone(),
            server,
        }
    }

    fn state(&self) -> MutexGuard<'_, (State, Log<ReceivedRequest>)> {
        self.server.lock()
    }

    /// The credentials this fake accepts.
    pub fn account(&self) -> FakeAccount {
        self.state().0.account.clone()
    }

    /// Adapter settings (JSON) for this fake, authenticating as the account, sending
    /// `From` [`super::FAKE_FROM`].
    pub fn settings_json(&self) -> serde_json::Value {
        let a = self.account();
        serde_json::json!({
            "account_sid": a.account_sid,
            "auth_token": a.auth_token,
            "from": super::FAKE_FROM,
            "base_url": self.base_url,
        })
    }

    /// Rotates the account's auth token, as promoting Twilio's secondary token does: from
    /// now on only `token` authenticates, and callbacks are signed with it.
    pub fn set_auth_token(&self, token: &str) {
        self.state().0.account.auth_token = token.to_owned();
    }

    /// How to answer phones without their own behaviour.
    pub fn set_default(&self, behaviour: Behaviour) {
        self.state().0.default = behaviour;
    }

    /// How to answer requests to `phone` (E.164).
    pub fn set_for(&self, phone: &str, behaviour: Behaviour) {
        self.state().0.per_phone.insert(phone.to_owned(), behaviour);
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<ReceivedRequest> {
        self.server.requests()
    }

    /// Every request the real API would have refused; tests assert this is empty.
    pub fn violations(&self) -> Vec<String> {
        self.server.violations()
    }

    /// Messages accepted so far.
    pub fn accepted(&self) -> Vec<AcceptedMessage> {
        self.state().0.accepted.clone()
    }

    /// The signed callback Twilio would post for message `sid` reaching `status`, or
    /// `None` if the message is unknown or had no `StatusCallback`.
    pub fn status_callback(
        &self,
        sid: &str,
        status: &str,
        error_code: Option<&str>,
    ) -> Option<SignedCallback> {
        let guard = self.state();
        let st = &guard.0;
        let msg = st.accepted.iter().find(|m| m.sid == sid)?;
        let url = msg.status_callback.clone()?;
        let params = status_params(&st.account.account_sid, msg, status, error_code);
        let pairs: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let (headers, body) = signed_status_callback(&url, &st.account.auth_token, &pairs);
        Some(SignedCallback { url, headers, body })
    }

    /// Posts that callback as Twilio would; returns the receiver's HTTP status.
    pub async fn post_status_callback(
        &self,
        sid: &str,
        status: &str,
        error_code: Option<&str>,
    ) -> Result<u16, String> {
        let SignedCallback { url, headers, body } =
            self.status_callback(sid, status, error_code)
                .ok_or_else(|| format!("no accepted message {sid} with a StatusCallback"))?;
        let mut req = reqwest::Client::new().post(&url).body(body);
        for (k, v) in &headers {
            req = req.header(k, v);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| format!("posting the callback failed: {e}"))?;
        Ok(resp.status().as_u16())
    }
}

fn json_reply(status: u16, body: &serde_json::Value) -> Reply {
    Reply::json(status, body.to_string())
        .with_header("content-type", "application/json; charset=utf-8")
        .with_header("twilio-request-id", "RQ00000000000000000000000000000000")
}

fn process(st: &mut State, log: &mut Log<ReceivedRequest>, req: &Incoming) -> Reply {
    let content_type = req.header("content-type");
    let auth = basic_auth(req.header("authorization"));
    let form: Vec<(String, String)> = form_urlencoded::parse(&req.body).into_owned().collect();
    log.record(ReceivedRequest {
        method: req.method.clone(),
        path: req.path.clone(),
        content_type: content_type.map(str::to_owned),
        auth_user: auth.as_ref().map(|(u, _)| u.clone()),
        form: form.clone(),
    });
    let msg = match check(
        &st.account,
        &req.method,
        &req.path,
        auth.as_ref(),
        content_type,
        &form,
    ) {
        Ok(msg) => msg,
        Err(r) => {
            log.violation(req, &format!("{} ({})", r.message, r.code));
            return json_reply(r.status, &error_body(r.status, r.code, &r.message));
        }
    };
    let behaviour = st.per_phone.get(&msg.to).copied().unwrap_or(st.default);
    let sid = format!("SM{:032x}", st.sid_seed.wrapping_add(log.len() as u128));
    let account_sid = st.account.account_sid.clone();
    match behaviour {
        Behaviour::Accept | Behaviour::Slow(_) => {
            st.accepted.push(AcceptedMessage {
                sid: sid.clone(),
                to: msg.to.clone(),
                from: msg.from.clone(),
                messaging_service_sid: msg.messaging_service_sid.clone(),
                status_callback: msg.status_callback.clone(),
            });
            let reply = json_reply(201, &created_message(&account_sid, &sid, &msg));
            match behaviour {
                Behaviour::Slow(delay) => reply.after(delay),
                _ => reply,
            }
        }
        Behaviour::Error(code) => {
            let (status, message) =
                documented_error(code, &msg.to, msg.from.as_deref().unwrap_or(""));
            json_reply(status, &error_body(status, code, &message))
        }
        Behaviour::Throttle { retry_after_secs } => {
            json_reply(429, &error_body(429, 20429, "Too Many Requests"))
                .with_header("retry-after", &retry_after_secs.to_string())
        }
        Behaviour::ServerError => json_reply(
            500,
            &error_body(500, 20500, "An internal server error has occurred"),
        ),
        Behaviour::Stall => Reply::json(504, "").after(Duration::from_secs(600)),
        Behaviour::Malformed => {
            let full = created_message(&account_sid, &sid, &msg).to_string();
            Reply::json(201, &full.as_bytes()[..full.len() / 2])
                .with_header("content-type", "application/json; charset=utf-8")
        }
    }
}
