//! Verification checks and confirmation tokens (#11 wrong-length codes, #14 the phone
//! readable in the token), against the real process.

use super::location;
use base64::Engine as _;
use e2e::{Gateway, codes_for, config};
use serde_json::{Value, json};

const PHONE: &str = "+79991234567";

/// Starts a verification for `PHONE` at location `42`; returns its id and code.
fn start(gw: &Gateway) -> (String, String) {
    let r = gw.post(
        "/v1/verifications",
        &json!({"location_id": "42", "phone": PHONE, "purpose": "login"}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let code = codes_for(gw, PHONE).pop().unwrap();
    (r.json["id"].as_str().unwrap().to_owned(), code)
}

#[test]
fn a_code_of_the_wrong_length_spends_no_attempt() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(
        dir.path(),
        &config("[verification]\nmax_check_attempts = 2\n"),
    );
    location(&gw, None);
    let (id, code) = start(&gw);
    assert_eq!(code.len(), 6);
    let by_id = format!("/v1/verifications/{id}/check");
    // Shorter, longer, letters: each a 422 naming `code`, however often.
    for typo in ["1234", "12345", "1234567", "12a456", ""] {
        for _ in 0..3 {
            let r = gw.post(&by_id, &json!({"code": typo}));
            assert_eq!(
                r.problem(422, "validation_failed")["field"],
                "code",
                "{typo}"
            );
        }
        let r = gw.post(
            "/v1/verifications/check",
            &json!({"location_id": "42", "phone": PHONE, "purpose": "login", "code": typo}),
        );
        assert_eq!(
            r.problem(422, "validation_failed")["field"],
            "code",
            "{typo}"
        );
    }
    let v = gw.get(&format!("/v1/verifications/{id}"));
    assert_eq!(v.json["attempts_left"], 2, "{}", v.text);
    assert_eq!(v.json["status"], "pending");
    // The attempts are all there for the real code.
    let r = gw.post(&by_id, &json!({"code": code}));
    assert_eq!(r.json["status"], "approved", "{}", r.text);
}

#[test]
fn the_token_carries_no_phone_and_introspection_still_gives_it() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &config(""));
    location(&gw, None);
    let (id, code) = start(&gw);
    let r = gw.post(
        &format!("/v1/verifications/{id}/check"),
        &json!({"code": code}),
    );
    assert_eq!(r.json["status"], "approved", "{}", r.text);
    let token = r.json["token"].as_str().unwrap().to_owned();

    // Whoever holds the token (a browser) reads its payload: no phone in any form.
    let payload = token.split('.').nth(1).unwrap();
    let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    let claims: Value = serde_json::from_slice(&decoded).unwrap();
    let text = claims.to_string();
    assert!(claims.get("phone").is_none(), "{text}");
    assert!(!text.contains("9991234567"), "{text}");
    assert!(!token.contains("9991234567"));

    // The service that introspects it gets the phone, as the contract says.
    let seen = gw.post("/v1/tokens/introspect", &json!({"token": token}));
    assert_eq!(seen.json["active"], true, "{}", seen.text);
    assert_eq!(seen.json["phone"], PHONE);
    assert_eq!(seen.json["verification_id"], id.as_str());
}

#[test]
fn an_abandoned_verification_is_counted_as_expired() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(
        dir.path(),
        &config("[verification]\nttl = \"1s\"\n\n[store]\nprune_interval = \"100ms\"\n"),
    );
    location(&gw, None);
    start(&gw);
    let expired = || {
        gw.call("GET", "/metrics", None, None)
            .text
            .lines()
            .find(|l| {
                l.starts_with("gateway_verifications_total{")
                    && l.contains("outcome=\"expired\"")
                    && l.contains("purpose=\"login\"")
            })
            .map(|l| l.rsplit(' ').next().unwrap().to_owned())
    };
    // Nobody asks about it again; the gateway counts it once its second has passed.
    // (Waits for the condition, with a generous deadline; asserts no timing.)
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while expired().as_deref() != Some("1") {
        assert!(
            std::time::Instant::now() < deadline,
            "never counted: {:?}",
            expired()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
