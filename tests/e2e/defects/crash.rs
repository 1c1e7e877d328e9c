//! An `Idempotency-Key` whose request died with its process (#14 item 10), against the
//! real binary and a real `kill -9`: the key is free again once the dead owner's lease
//! runs out, the retry sends once, and a later repeat replays that answer.
//!
//! Before the fix the retry met the dead claim for 60 s of 20 ms polling and then a
//! `409`, and the key stayed blocked for five minutes. (The lease itself, on a
//! controllable clock, is tested in `gateway/tests/idempotency_lease.rs`; this test
//! waits out the real 10 s lease once.)

use super::location;
use e2e::{DEV_KEY, Gateway, config};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const PHONE: &str = "+79991230042";
const KEY: &str = "order-7431-confirm";

/// `stuck` holds every send to [`PHONE`] far longer than the test runs; `mock` answers.
/// [`PHONE`] is a test number, free of quotas: the dead request spent its cooldown
/// (the gateway cannot know whether the provider got that message, so a crash refunds
/// nothing), and this test is about the key, not the cooldown.
fn crash_config() -> String {
    config(&format!(
        r#"[limits]
test_numbers = ["{PHONE}"]

[[adapters]]
name = "stuck"
library = "libadapter_mock.so"
timeout = "120s"
[adapters.settings]
stall_numbers = ["{PHONE}"]
"#
    ))
}

fn body() -> Value {
    json!({"location_id": "42", "phone": PHONE, "code": "4821", "purpose": "login"})
}

/// How many sends wait on adapter `name` right now.
fn inflight(gw: &Gateway, name: &str) -> u64 {
    let r = gw.get("/v1/adapters");
    r.json["adapters"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["name"] == name))
        .and_then(|a| a["inflight"].as_u64())
        .unwrap_or(0)
}

#[test]
fn a_key_whose_request_died_with_the_process_is_free_after_the_lease() {
    let dir = tempfile::tempdir().unwrap();
    let mut gw = Gateway::start(dir.path(), &crash_config());
    location(&gw, Some(&["stuck"]));

    // The first request claims the key and hangs inside the provider call. Its client
    // gets no answer at all: the process dies under it.
    let url = format!("{}/v1/messages", gw.base);
    let first = std::thread::spawn(move || {
        reqwest::blocking::Client::new()
            .post(url)
            .bearer_auth(DEV_KEY)
            .header("idempotency-key", KEY)
            .json(&body())
            .timeout(Duration::from_secs(150))
            .send()
            .map(|r| r.status().as_u16())
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while inflight(&gw, "stuck") == 0 {
        assert!(
            Instant::now() < deadline,
            "the send never reached the adapter"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    gw.kill_hard();
    assert!(
        first.join().unwrap().is_err(),
        "the killed request must not have been answered"
    );

    // Same data, new process; the provider route now works.
    let gw = gw.start_again();
    location(&gw, Some(&["mock"]));
    let retry = gw.call_with(
        "POST",
        "/v1/messages",
        Some(&body()),
        Some(DEV_KEY),
        &[("idempotency-key", KEY)],
    );
    assert_eq!(
        retry.status, 201,
        "the retry must do the work once the dead claim's lease ran out: {}",
        retry.text
    );
    assert_eq!(retry.header("idempotent-replayed"), None, "{}", retry.text);
    let id = retry.json["id"].as_str().expect("message id").to_owned();

    // A later repeat is the remembered answer, and nothing more was sent.
    let again = gw.call_with(
        "POST",
        "/v1/messages",
        Some(&body()),
        Some(DEV_KEY),
        &[("idempotency-key", KEY)],
    );
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(
        again.header("idempotent-replayed"),
        Some("true"),
        "{}",
        again.text
    );
    assert_eq!(again.json["id"], id.as_str());
    let sent: Vec<Value> = e2e::outbox(&gw)
        .into_iter()
        .filter(|m| m["to"] == PHONE)
        .collect();
    assert_eq!(sent.len(), 1, "one message after crash and retry: {sent:?}");
}
