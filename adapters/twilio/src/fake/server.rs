//! The fake's HTTP server: an actix-web app on its own thread and actix System (so it
//! works under any test runtime), shared state behind a mutex, and the handle tests use
//! to set behaviours and inspect what arrived.

use super::callbacks::{signed_status_callback, status_params};
use super::responses::{created_message, documented_error, error_body};
use super::rules::{basic_auth, check};
use super::{AcceptedMessage, Behaviour, FakeAccount, ReceivedRequest, SignedCallback};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, dev::ServerHandle, web};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

struct State {
    account: FakeAccount,
    default: Behaviour,
    per_phone: HashMap<String, Behaviour>,
    requests: Vec<ReceivedRequest>,
    violations: Vec<String>,
    accepted: Vec<AcceptedMessage>,
    /// Makes sids unique across fakes started in one test binary.
    sid_seed: u128,
}

/// A running fake Twilio. Dropping it stops the server.
#[derive(Debug)]
pub struct FakeTwilio {
    /// `http://127.0.0.1:{port}`: the adapter's `base_url`.
    pub base_url: String,
    state: Arc<Mutex<State>>,
    server: ServerHandle,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("requests", &self.requests.len())
            .finish()
    }
}

impl FakeTwilio {
    /// Starts a fake on `127.0.0.1:0` that accepts every valid request.
    pub fn start(account: FakeAccount) -> Self {
        let sid_seed = u128::from(std::process::id()) << 96
            ^ time::OffsetDateTime::now_utc()
                .unix_timestamp_nanos()
                .unsigned_abs();
        let state = Arc::new(Mutex::new(State {
            account,
            default: Behaviour::Accept,
            per_phone: HashMap::new(),
            requests: Vec::new(),
            violations: Vec::new(),
            accepted: Vec::new(),
            sid_seed,
        }));
        let (tx, rx) = std::sync::mpsc::channel();
        let shared = Arc::clone(&state);
        std::thread::Builder::new()
            .name("fake-twilio".into())
            .spawn(move || {
                actix_web::rt::System::new().block_on(async move {
                    let data = web::Data::from(shared);
                    let server = HttpServer::new(move || {
                        App::new()
                            .app_data(data.clone())
                            .default_service(web::to(handle))
                    })
                    .workers(2)
                    .disable_signals()
                    .shutdown_timeout(0)
                    .bind(("127.0.0.1", 0))
                    .expect("fake twilio binds 127.0.0.1:0");
                    let addr = server.addrs()[0];
                    let server = server.run();
                    let _ = tx.send((addr, server.handle()));
                    let _ = server.await;
                });
            })
            .expect("spawn the fake twilio thread");
        let (addr, server) = rx.recv().expect("fake twilio reports its address");
        Self {
            base_url: format!("http://{addr}"),
            state,
            server,
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The credentials this fake accepts.
    pub fn account(&self) -> FakeAccount {
        self.state().account.clone()
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
        self.state().account.auth_token = token.to_owned();
    }

    /// How to answer phones without their own behaviour.
    pub fn set_default(&self, behaviour: Behaviour) {
        self.state().default = behaviour;
    }

    /// How to answer requests to `phone` (E.164).
    pub fn set_for(&self, phone: &str, behaviour: Behaviour) {
        self.state().per_phone.insert(phone.to_owned(), behaviour);
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<ReceivedRequest> {
        self.state().requests.clone()
    }

    /// Every request the real API would have refused; tests assert this is empty.
    pub fn violations(&self) -> Vec<String> {
        self.state().violations.clone()
    }

    /// Messages accepted so far.
    pub fn accepted(&self) -> Vec<AcceptedMessage> {
        self.state().accepted.clone()
    }

    /// The signed callback Twilio would post for message `sid` reaching `status`, or
    /// `None` if the message is unknown or had no `StatusCallback`.
    pub fn status_callback(
        &self,
        sid: &str,
        status: &str,
        error_code: Option<&str>,
    ) -> Option<SignedCallback> {
        let st = self.state();
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

impl Drop for FakeTwilio {
    fn drop(&mut self) {
        // The stop command is sent on call; the returned future only awaits completion.
        drop(self.server.stop(false));
    }
}

fn json_response(status: u16, body: &serde_json::Value) -> HttpResponse {
    let code = actix_web::http::StatusCode::from_u16(status)
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(code)
        .content_type("application/json; charset=utf-8")
        .insert_header(("Twilio-Request-Id", "RQ00000000000000000000000000000000"))
        .body(body.to_string())
}

async fn handle(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<Mutex<State>>,
) -> HttpResponse {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header("content-type");
    let auth = basic_auth(header("authorization").as_deref());
    let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let (behaviour, sid, outcome) = {
        let mut st = state.lock().unwrap_or_else(PoisonError::into_inner);
        st.requests.push(ReceivedRequest {
            method: req.method().to_string(),
            path: req.path().to_owned(),
            content_type: content_type.clone(),
            auth_user: auth.as_ref().map(|(u, _)| u.clone()),
            form: form.clone(),
        });
        let outcome = check(
            &st.account,
            req.method().as_str(),
            req.path(),
            auth.as_ref(),
            content_type.as_deref(),
            &form,
        );
        if let Err(refusal) = &outcome {
            let v = format!(
                "{} {}: {} ({})",
                req.method(),
                req.path(),
                refusal.message,
                refusal.code
            );
            st.violations.push(v);
        }
        let behaviour = match &outcome {
            Ok(m) => st.per_phone.get(&m.to).copied().unwrap_or(st.default),
            Err(_) => Behaviour::Accept,
        };
        let n = st.requests.len() as u128;
        (
            behaviour,
            format!("SM{:032x}", st.sid_seed.wrapping_add(n)),
            outcome,
        )
    };
    let msg = match outcome {
        Err(r) => return json_response(r.status, &error_body(r.status, r.code, &r.message)),
        Ok(m) => m,
    };
    let account_sid = state
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .account
        .account_sid
        .clone();
    match behaviour {
        Behaviour::Accept => {
            state
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .accepted
                .push(AcceptedMessage {
                    sid: sid.clone(),
                    to: msg.to.clone(),
                    from: msg.from.clone(),
                    messaging_service_sid: msg.messaging_service_sid.clone(),
                    status_callback: msg.status_callback.clone(),
                });
            json_response(201, &created_message(&account_sid, &sid, &msg))
        }
        Behaviour::Error(code) => {
            let (status, message) =
                documented_error(code, &msg.to, msg.from.as_deref().unwrap_or(""));
            json_response(status, &error_body(status, code, &message))
        }
        Behaviour::Throttle { retry_after_secs } => {
            let mut resp = json_response(429, &error_body(429, 20429, "Too Many Requests"));
            if let Ok(v) =
                actix_web::http::header::HeaderValue::from_str(&retry_after_secs.to_string())
            {
                resp.headers_mut()
                    .insert(actix_web::http::header::RETRY_AFTER, v);
            }
            resp
        }
        Behaviour::ServerError => json_response(
            500,
            &error_body(500, 20500, "An internal server error has occurred"),
        ),
        Behaviour::Stall => {
            actix_web::rt::time::sleep(Duration::from_secs(600)).await;
            HttpResponse::GatewayTimeout().finish()
        }
        Behaviour::Malformed => {
            let full = created_message(&account_sid, &sid, &msg).to_string();
            HttpResponse::Created()
                .content_type("application/json; charset=utf-8")
                .body(full.as_bytes()[..full.len() / 2].to_vec())
        }
    }
}
