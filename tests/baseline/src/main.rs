//! The load benchmark's baseline: the least an actix-web JSON service does per request
//! (route, parse a JSON body into a struct, answer JSON), on the same HTTP stack,
//! worker count and loopback listener as the gateway. `tests/load` drives it with the
//! same load generator and script as the gateway, so the ratio between the two is the
//! cost of everything the gateway adds (auth, limits, store, rendering, adapters).
//!
//! Usage: `bench-baseline [ADDR]` (default `127.0.0.1:0`); prints
//! `baseline listening on <addr>` once bound, like the gateway does.

use actix_web::{App, HttpResponse, HttpServer, web};
use serde::{Deserialize, Serialize};

/// The body the benchmark posts: the shape of `POST /v1/messages`.
#[derive(Debug, Deserialize)]
struct Input {
    /// Location id.
    location_id: String,
    /// Phone as sent.
    phone: String,
    /// The code (only its length is used, as a stand-in for work on it).
    code: String,
    /// `login` or `booking`.
    purpose: String,
}

/// What the handler answers: a few fields derived from the input.
#[derive(Debug, Serialize)]
struct Output<'a> {
    /// Echoed location id.
    location_id: &'a str,
    /// Echoed phone.
    phone: &'a str,
    /// Echoed purpose.
    purpose: &'a str,
    /// Always `sent`.
    status: &'static str,
    /// Length of the code.
    code_len: usize,
}

/// The one JSON handler (`POST /json`).
async fn json_handler(input: web::Json<Input>) -> HttpResponse {
    HttpResponse::Created().json(Output {
        location_id: &input.location_id,
        phone: &input.phone,
        purpose: &input.purpose,
        status: "sent",
        code_len: input.code.len(),
    })
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".to_owned());
    let server =
        HttpServer::new(|| App::new().route("/json", web::post().to(json_handler))).bind(&addr)?;
    for a in server.addrs() {
        println!("baseline listening on {a}");
    }
    server.run().await
}
