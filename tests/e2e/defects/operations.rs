//! What operators and integrators met (#14): the public URL under `--listen`, colour
//! codes in log files, the example's block rule, token answers.

use super::location;
use e2e::{Gateway, config};
use fake_providers::twilio::{FakeAccount, FakeTwilio};
use serde_json::json;

/// `--listen` used to leave `public_url` on the configured port, so providers were
/// told to call back a port nobody listens on.
#[test]
fn listen_moves_the_public_url_providers_are_given() {
    let dir = tempfile::tempdir().unwrap();
    let twilio = FakeTwilio::start(FakeAccount::default());
    let account = FakeAccount::default();
    let gw = Gateway::start(
        dir.path(),
        &config(&format!(
            r#"[server]
listen = "127.0.0.1:8080"
public_url = "http://127.0.0.1:8080"

[[adapters]]
name = "sms"
library = "libadapter_twilio.so"
[adapters.settings]
account_sid = "{sid}"
auth_token = "{token}"
from = "{from}"
base_url = "{url}"
"#,
            sid = account.account_sid,
            token = account.auth_token,
            from = fake_providers::twilio::FAKE_FROM,
            url = twilio.base_url,
        )),
    );
    assert_ne!(gw.addr.port(), 8080);
    location(&gw, Some(&["sms"]));
    let sent = gw.post(
        "/v1/messages",
        &json!({"location_id": "42", "phone": "+79991234567", "code": "4821", "purpose": "login"}),
    );
    assert_eq!(sent.status, 201, "{}", sent.text);
    let accepted = twilio.accepted();
    let expected = format!("{}/v1/callbacks/sms", gw.base);
    assert_eq!(
        accepted[0].status_callback.as_deref(),
        Some(expected.as_str())
    );
    // And the signature over that URL verifies when the report comes back.
    let cb = twilio
        .status_callback(&accepted[0].sid, "delivered", None)
        .unwrap();
    let r = gw.send_to("POST", &cb.url, &cb.headers, cb.body);
    assert_eq!(r.status, 200, "{}", r.text);
    let id = sent.json["id"].as_str().unwrap();
    assert_eq!(
        gw.get(&format!("/v1/messages/{id}")).json["status"],
        "delivered"
    );
}

#[test]
fn log_files_carry_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &config(""));
    assert_eq!(gw.call("GET", "/healthz", None, None).status, 200);
    let log = gw.log();
    assert!(log.contains("request served"), "{log}");
    assert!(
        !log.contains('\u{1b}'),
        "ANSI escape in the log file: {log:?}"
    );
}

/// The example's `+882`/`+883` block rule used to be unreachable: those numbers were
/// refused as invalid or VoIP before any operator rule was looked at.
#[test]
fn the_example_international_networks_block_fires() {
    let dir = tempfile::tempdir().unwrap();
    let operators = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/operators.toml"),
    )
    .unwrap();
    let gw = Gateway::start(dir.path(), &config(&operators));
    location(&gw, None);
    for phone in ["+88213001234", "+883510012345", "+882491234567"] {
        let r = gw.post(
            "/v1/messages",
            &json!({"location_id": "42", "phone": phone, "code": "4821", "purpose": "login"}),
        );
        r.problem(403, "operator_blocked");
    }
    assert!(e2e::outbox(&gw).is_empty());
}

#[test]
fn api_answers_are_not_cached() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &config(""));
    location(&gw, None);
    let started = gw.post(
        "/v1/verifications",
        &json!({"location_id": "42", "phone": "+79991234567", "purpose": "login"}),
    );
    assert_eq!(started.status, 201, "{}", started.text);
    let code = e2e::codes_for(&gw, "+79991234567").pop().unwrap();
    let id = started.json["id"].as_str().unwrap();
    let approved = gw.post(
        &format!("/v1/verifications/{id}/check"),
        &json!({"code": code}),
    );
    assert_eq!(approved.json["status"], "approved", "{}", approved.text);
    assert_eq!(approved.header("cache-control"), Some("no-store"));
    let token = approved.json["token"].as_str().unwrap();
    let intro = gw.post("/v1/tokens/introspect", &json!({"token": token}));
    assert_eq!(intro.status, 200);
    assert_eq!(intro.header("cache-control"), Some("no-store"));
}

/// #13: an adapter's panic text used to go raw to stderr (outside the log format, the
/// phone in clear) and into the API answer.
#[test]
fn adapter_panics_are_logged_masked_and_answered_generically() {
    let dir = tempfile::tempdir().unwrap();
    let phone = "+79991234567";
    let gw = Gateway::start(
        dir.path(),
        &config(&format!(
            "[adapters.settings]\npanic_numbers = [\"{phone}\"]\n"
        )),
    );
    location(&gw, None);
    let r = gw.post(
        "/v1/messages",
        &json!({"location_id": "42", "phone": phone, "code": "4821", "purpose": "login"}),
    );
    let p = r.problem(502, "provider_failed");
    let error = p["attempts"][0]["error"].as_str().unwrap();
    assert!(error.contains("failed internally"), "{p}");
    assert!(
        !r.text.contains("panic_numbers"),
        "panic text in the answer: {}",
        r.text
    );
    let log = gw.log();
    assert!(!log.contains(phone), "full phone in the log: {log}");
    assert!(
        !log.contains("panicked at"),
        "raw panic output in the log: {log}"
    );
    let line = log
        .lines()
        .find(|l| l.contains("adapter failed internally"))
        .unwrap_or_else(|| panic!("panic not logged: {log}"));
    assert!(
        line.contains("ERROR") && line.contains("+7999***4567 is listed in panic_numbers"),
        "{line}"
    );
}
