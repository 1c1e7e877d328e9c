//! `cargo run --example fake`: the fake "Example SMS" API on a fixed port, to run the
//! gateway with this adapter by hand (`gateway.toml` in this directory points at it).
//! Prints every message it receives (the codes too: it stands in for the phones) and
//! every request the real API would refuse, until Ctrl-C.
//!
//! `FAKE_ADDR` (default `127.0.0.1:18910`) moves it; `EXAMPLE_SMS_KEY` (default
//! `test-key`) is the API key it accepts.

#[path = "../tests/support/fake.rs"]
mod fake;

use fake::{Answer, FakeExampleSms};
use std::time::Duration;

#[tokio::main]
async fn main() {
    let addr = std::env::var("FAKE_ADDR").unwrap_or_else(|_| "127.0.0.1:18910".into());
    let key = std::env::var("EXAMPLE_SMS_KEY").unwrap_or_else(|_| "test-key".into());
    let Ok(addr) = addr.parse() else {
        eprintln!("FAKE_ADDR={addr} is not an address such as 127.0.0.1:18910");
        std::process::exit(2);
    };
    let fake = FakeExampleSms::start_on(addr, &key, Answer::Accept);
    println!(
        "fake example-sms on {} (API key {key:?}); Ctrl-C stops",
        fake.base_url
    );
    let (mut shown, mut refused) = (0, 0);
    let mut tick = tokio::time::interval(Duration::from_millis(300));
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            _ = &mut ctrl_c => break,
            _ = tick.tick() => {}
        }
        let requests = fake.requests();
        for r in requests.iter().skip(shown) {
            println!("{} {}", r.path, r.body);
        }
        shown = requests.len();
        let violations = fake.violations();
        for v in violations.iter().skip(refused) {
            println!("VIOLATION {v}");
        }
        refused = violations.len();
    }
}
