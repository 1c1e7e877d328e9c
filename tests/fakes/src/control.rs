//! Switches for trying fallback by hand: an HTTP control server on loopback that makes
//! each fake refuse, fail, be slow or accept again, and makes it send a signed delivery
//! report to the gateway on demand. The `fake-providers` binary serves it on
//! `127.0.0.1:18900`; the end-to-end tests start it on `127.0.0.1:0`.
//!
//! `POST /{fake}/{switch}` with `fake` one of `twilio`, `telegram`, `whatsapp`, `http`:
//!
//! | switch | query | effect |
//! |---|---|---|
//! | `refuse` | `phone` | the provider's "cannot reach this phone" answer (next channel) |
//! | `fail` | `phone` | the provider's server error (5xx: next channel) |
//! | `slow` | `phone`, `ms` (default 10000) | accepts, but answers after `ms` |
//! | `accept` | `phone` | back to normal |
//! | `report` | `id`, `status` (default `delivered`), `error` | posts a signed report for message `id` (default: the last one it accepted) to the gateway, and returns the gateway's answer |
//!
//! Without `phone` a switch sets the fake's default; with it, that phone's own answer
//! (which outlasts later default switches until switched back with the same `phone`).
//! `GET /` lists this. Answers are JSON saying what was done.

use crate::http_receiver::FakeReceiver;
use crate::telegram::FakeTelegram;
use crate::twilio::FakeTwilio;
use crate::whatsapp::FakeWhatsApp;
use actix_web::{App, HttpResponse, HttpServer, dev::ServerHandle, web};
use std::collections::HashMap;
use std::sync::Arc;

mod reports;
mod switches;

/// The fakes a control server switches.
#[derive(Debug)]
pub struct Fakes {
    /// Twilio (`sms` in examples/providers.toml).
    pub twilio: FakeTwilio,
    /// Telegram Gateway.
    pub telegram: FakeTelegram,
    /// WhatsApp Cloud API.
    pub whatsapp: FakeWhatsApp,
    /// The generic HTTP adapter's receiver.
    pub http: FakeReceiver,
    /// The gateway's base URL, for WhatsApp reports: Meta posts to the webhook URL of
    /// the app (`{gateway}/v1/callbacks/whatsapp`), not to a URL given per message.
    pub gateway: String,
}

/// A running control server; stopped when dropped.
#[derive(Debug)]
pub struct ControlServer {
    /// `http://{addr}`.
    pub base_url: String,
    handle: ServerHandle,
}

impl ControlServer {
    /// Serves the switches of `fakes` on `addr` (port 0 for any) in a thread of its own;
    /// returns once it listens. Panics if `addr` cannot be bound.
    pub fn start(addr: std::net::SocketAddr, fakes: Arc<Fakes>) -> Self {
        let data = web::Data::from(fakes);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("fake-control".into())
            .spawn(move || {
                actix_rt::System::new().block_on(async move {
                    let server = HttpServer::new(move || {
                        App::new()
                            .app_data(data.clone())
                            .route("/", web::get().to(help))
                            .route("/{fake}/{switch}", web::post().to(switch))
                            .default_service(web::to(not_found))
                    })
                    .workers(1)
                    .disable_signals()
                    .shutdown_timeout(0)
                    .bind(addr)
                    .unwrap_or_else(|e| panic!("the control server cannot bind {addr}: {e}"));
                    let addr = server.addrs()[0];
                    let running = server.run();
                    let _ = tx.send((addr, running.handle()));
                    let _ = running.await;
                });
            })
            .expect("spawn the control server's thread");
        let (addr, handle) = rx.recv().expect("the control server reports its address");
        Self {
            base_url: format!("http://{addr}"),
            handle,
        }
    }
}

impl Drop for ControlServer {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

/// The fakes' names, in the order `GET /` lists them.
pub const FAKES: [&str; 4] = ["twilio", "telegram", "whatsapp", "http"];
/// The switches' names.
pub const SWITCHES: [&str; 5] = ["refuse", "fail", "slow", "accept", "report"];

async fn help() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(format!(
            "POST /{{fake}}/{{switch}}\n  fake:   {}\n  switch: {}\n\
             refuse|fail|slow|accept take ?phone=%2B79991234567 (E.164, + written %2B; default: every phone); slow takes ?ms=\n\
             report takes ?id= (default: the last accepted) &status= (default delivered) &error=\n",
            FAKES.join(" "),
            SWITCHES.join(" ")
        ))
}

async fn not_found() -> HttpResponse {
    problem(404, "no such control endpoint: GET / lists them")
}

fn problem(status: u16, detail: &str) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(status)
        .unwrap_or(actix_web::http::StatusCode::BAD_REQUEST);
    HttpResponse::build(status).json(serde_json::json!({ "error": detail }))
}

async fn switch(
    path: web::Path<(String, String)>,
    query: web::Query<HashMap<String, String>>,
    fakes: web::Data<Fakes>,
) -> HttpResponse {
    let (fake, switch) = path.into_inner();
    if !FAKES.contains(&fake.as_str()) {
        return problem(
            404,
            &format!("no fake `{fake}`: one of {}", FAKES.join(", ")),
        );
    }
    let result = match switch.as_str() {
        "report" => reports::send(&fakes, &fake, &query).await,
        _ if SWITCHES.contains(&switch.as_str()) => switches::apply(&fakes, &fake, &switch, &query),
        _ => Err((
            404,
            format!("no switch `{switch}`: one of {}", SWITCHES.join(", ")),
        )),
    };
    match result {
        Ok(done) => HttpResponse::Ok().json(done),
        Err((status, detail)) => problem(status, &detail),
    }
}
