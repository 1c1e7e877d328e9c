//! The confirmation flows through the real gateway process and the real mock library:
//! verification round trip, wrong codes, expiry, resend, restart, idempotency, channel
//! fallback and total failure.

use e2e::{Gateway, codes_for, config, outbox};
use serde_json::{Value, json};

const PHONE: &str = "+79991234567";

/// A test config: a short resend cooldown (so resends are allowed) plus `extra`.
fn flows_config(extra: &str) -> String {
    config(&format!("[limits]\nresend_cooldown = \"1ms\"\n\n{extra}"))
}

fn location(gw: &Gateway, id: &str, channels: Option<&[&str]>) {
    let mut body = json!({
        "company_name": "Beauty Lab",
        "location_name": "Beauty Lab on Tverskaya",
        "country": "RU",
        "phone_confirmation": { "enabled": true, "template": "code_with_title" },
        "online_booking": { "require_phone_confirmation": true }
    });
    if let Some(c) = channels {
        body["channels"] = json!(c);
    }
    let r = gw.put(&format!("/v1/locations/{id}"), &body);
    assert!(r.status == 201 || r.status == 200, "{}", r.text);
}

fn start(gw: &Gateway, purpose: &str) -> Value {
    let r = gw.post("/v1/verifications", &json!({ "location_id": "42", "phone": PHONE, "purpose": purpose, "client_ip": "203.0.113.7" }));
    assert!(r.status == 201 || r.status == 200, "{}", r.text);
    r.json
}

#[test]
fn verification_round_trip_with_token_consumption() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &flows_config(""));
    location(&gw, "42", None);
    let v = start(&gw, "booking");
    assert_eq!(v["status"], "pending");
    assert_eq!(v["attempts_left"], 5);
    assert_eq!(v["adapter"], "mock");
    assert_eq!(v["message"]["segments"], 1);
    let codes = codes_for(&gw, PHONE);
    assert_eq!(codes.len(), 1);
    let code = &codes[0];
    assert_eq!(code.len(), 6);
    // The code never appears in what the API returns, nor in the log.
    assert!(!v.to_string().contains(code.as_str()), "{v}");
    assert!(
        v["message"]["text"].as_str().unwrap().ends_with(": ******"),
        "{v}"
    );
    let outbox_text = outbox(&gw)[0]["text"].as_str().unwrap().to_owned();
    assert_eq!(
        outbox_text,
        format!("Confirmation code for Beauty Lab: {code}")
    );

    let id = v["id"].as_str().unwrap();
    let ok = gw.post(
        &format!("/v1/verifications/{id}/check"),
        &json!({ "code": code }),
    );
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.json["status"], "approved");
    let token = ok.json["token"].as_str().unwrap().to_owned();
    // Approved: a second check finds nothing pending.
    gw.post(
        &format!("/v1/verifications/{id}/check"),
        &json!({ "code": code }),
    )
    .problem(404, "verification_not_found");

    let seen = gw.post("/v1/tokens/introspect", &json!({ "token": token }));
    assert_eq!(seen.json["active"], true, "{}", seen.text);
    assert_eq!(seen.json["phone"], PHONE);
    assert_eq!(seen.json["location_id"], "42");
    assert_eq!(seen.json["purpose"], "booking");
    gw.post(
        "/v1/tokens/introspect",
        &json!({ "token": token, "purpose": "login" }),
    )
    .problem(422, "token_purpose_mismatch");
    let consumed = gw.post(
        "/v1/tokens/introspect",
        &json!({ "token": token, "consume": true }),
    );
    assert_eq!(consumed.json["active"], true, "{}", consumed.text);
    gw.post(
        "/v1/tokens/introspect",
        &json!({ "token": token, "consume": true }),
    )
    .problem(409, "token_consumed");
    let after = gw.post("/v1/tokens/introspect", &json!({ "token": token }));
    assert_eq!(after.json, json!({ "active": false, "reason": "consumed" }));
    let forged = format!("{token}x");
    assert_eq!(
        gw.post("/v1/tokens/introspect", &json!({ "token": forged }))
            .json["active"],
        false
    );

    assert!(
        !gw.log().contains(code.as_str()),
        "the log contains the code"
    );
    assert!(!gw.log().contains(PHONE), "the log contains the full phone");
}

#[test]
fn five_wrong_codes_then_429_and_check_by_subject() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &flows_config(""));
    location(&gw, "42", None);
    let v = start(&gw, "login");
    let id = v["id"].as_str().unwrap();
    let code = codes_for(&gw, PHONE).pop().unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for left in (1..=4).rev() {
        let r = gw.post(
            &format!("/v1/verifications/{id}/check"),
            &json!({ "code": wrong }),
        );
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(
            r.json,
            json!({ "id": id, "status": "pending", "attempts_left": left })
        );
    }
    gw.post(
        &format!("/v1/verifications/{id}/check"),
        &json!({ "code": wrong }),
    )
    .problem(429, "max_check_attempts");
    // Even the right code is refused now.
    gw.post(
        &format!("/v1/verifications/{id}/check"),
        &json!({ "code": code }),
    )
    .problem(429, "max_check_attempts");
    assert_eq!(
        gw.get(&format!("/v1/verifications/{id}")).json["status"],
        "failed"
    );

    // A new verification; checked by location, phone and purpose, phone in national form.
    start(&gw, "login");
    let code = codes_for(&gw, PHONE).pop().unwrap();
    let subject = json!({ "location_id": "42", "phone": "8 (999) 123-45-67", "purpose": "login", "code": code });
    let r = gw.post("/v1/verifications/check", &subject);
    assert_eq!(r.json["status"], "approved", "{}", r.text);
    // Mismatched location or purpose finds nothing.
    let other = json!({ "location_id": "42", "phone": PHONE, "purpose": "booking", "code": code });
    gw.post("/v1/verifications/check", &other)
        .problem(404, "verification_not_found");
    gw.post(
        "/v1/verifications/ver_nope/check",
        &json!({ "code": "123456" }),
    )
    .problem(404, "verification_not_found");
    gw.post(
        &format!("/v1/verifications/{id}/check"),
        &json!({ "code": "12ab" }),
    )
    .problem(422, "validation_failed");
}

#[test]
fn expiry_gives_410() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &flows_config("[verification]\nttl = \"1s\"\n"));
    location(&gw, "42", None);
    let v = start(&gw, "login");
    let id = v["id"].as_str().unwrap();
    // Wait (bounded) until the gateway itself reports the verification expired.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while gw.get(&format!("/v1/verifications/{id}")).json["status"] != "expired" {
        assert!(
            std::time::Instant::now() < deadline,
            "verification never expired"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let code = codes_for(&gw, PHONE).pop().unwrap();
    gw.post(
        &format!("/v1/verifications/{id}/check"),
        &json!({ "code": code }),
    )
    .problem(410, "verification_expired");
}

#[test]
fn resend_carries_the_same_code_and_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &flows_config(""));
    location(&gw, "42", None);
    let first = start(&gw, "login");
    let again = start(&gw, "login");
    assert_eq!(
        first["id"], again["id"],
        "a repeat while pending re-sends on the same verification"
    );
    assert_eq!(again["sends"], 2);
    let codes = codes_for(&gw, PHONE);
    assert_eq!(codes.len(), 2);
    assert_eq!(codes[0], codes[1]);

    let gw = gw.restart();
    let id = first["id"].as_str().unwrap();
    let r = gw.post(
        &format!("/v1/verifications/{id}/check"),
        &json!({ "code": codes[0] }),
    );
    assert_eq!(r.json["status"], "approved", "{}", r.text);
}

#[test]
fn send_limit_per_verification() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &flows_config("[verification]\nmax_sends = 2\n"));
    location(&gw, "42", None);
    start(&gw, "login");
    start(&gw, "login");
    let r = gw.post(
        "/v1/verifications",
        &json!({ "location_id": "42", "phone": PHONE, "purpose": "login" }),
    );
    r.problem(429, "max_send_attempts");
    assert!(r.header("retry-after").is_some());
    assert_eq!(codes_for(&gw, PHONE).len(), 2);
}

#[test]
fn idempotent_repeats_send_once_even_concurrently() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &flows_config(""));
    location(&gw, "42", None);
    let body = json!({ "location_id": "42", "phone": PHONE, "code": "4821", "purpose": "login" });
    let key = [("idempotency-key", "key-1")];
    let first = gw.call_with(
        "POST",
        "/v1/messages",
        Some(&body),
        Some(e2e::DEV_KEY),
        &key,
    );
    assert_eq!(first.status, 201, "{}", first.text);
    let again = gw.call_with(
        "POST",
        "/v1/messages",
        Some(&body),
        Some(e2e::DEV_KEY),
        &key,
    );
    assert_eq!(again.status, 201);
    assert_eq!(again.json, first.json);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    let other = json!({ "location_id": "42", "phone": PHONE, "code": "9999", "purpose": "login" });
    gw.call_with(
        "POST",
        "/v1/messages",
        Some(&other),
        Some(e2e::DEV_KEY),
        &key,
    )
    .problem(422, "idempotency_key_reused");
    assert_eq!(outbox(&gw).len(), 1);

    // 20 concurrent repeats of a new key: one send, 20 identical answers.
    let answers: Vec<Value> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..20)
            .map(|_| {
                s.spawn(|| {
                    let r = gw.call_with("POST", "/v1/verifications", Some(&json!({ "location_id": "42", "phone": "+79997654321", "purpose": "login" })),
                        Some(e2e::DEV_KEY), &[("idempotency-key", "key-2")]);
                    assert_eq!(r.status, 201, "{}", r.text);
                    r.json
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(answers.iter().all(|a| *a == answers[0]));
    assert_eq!(codes_for(&gw, "+79997654321").len(), 1);
}

#[test]
fn messages_api_and_its_errors() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &config(""));
    location(&gw, "42", None);
    let sent = gw.post(
        "/v1/messages",
        &json!({ "location_id": "42", "phone": PHONE, "code": "4821", "purpose": "login" }),
    );
    assert_eq!(sent.status, 201, "{}", sent.text);
    assert!(
        ["queued", "sent"].contains(&sent.json["status"].as_str().unwrap()),
        "{}",
        sent.text
    );
    assert_eq!(sent.json["text"], "Confirmation code for Beauty Lab: ****");
    assert_eq!(sent.json["encoding"], "GSM-7");
    assert_eq!(sent.json["units"], 38);
    assert_eq!(sent.json["channel"], "sms");
    let id = sent.json["id"].as_str().unwrap();
    let read = gw.get(&format!("/v1/messages/{id}"));
    assert_eq!(read.json["history"].as_array().unwrap().len(), 1);
    assert_eq!(read.json["phone"], "+7999***4567");
    gw.get("/v1/messages/msg_unknown")
        .problem(404, "message_not_found");

    // Within the cooldown: 429 with Retry-After, and the outbox holds one message.
    let again = gw.post(
        "/v1/messages",
        &json!({ "location_id": "42", "phone": PHONE, "code": "4822", "purpose": "login" }),
    );
    let p = again.problem(429, "resend_cooldown");
    let retry: u64 = again.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "retry-after {retry}");
    assert_eq!(p["retry_after"], retry);
    assert_eq!(outbox(&gw).len(), 1);

    let send = |body: Value| gw.post("/v1/messages", &body);
    send(json!({ "location_id": "42", "phone": "12345", "code": "4821", "purpose": "login" }))
        .problem(400, "invalid_phone");
    send(
        json!({ "location_id": "42", "phone": "+74951234567", "code": "4821", "purpose": "login" }),
    )
    .problem(400, "invalid_phone");
    send(json!({ "location_id": "nope", "phone": PHONE, "code": "4821", "purpose": "login" }))
        .problem(404, "location_not_found");
    send(json!({ "location_id": "42", "phone": PHONE, "code": "4821", "purpose": "signup" }))
        .problem(422, "validation_failed");
    send(json!({ "location_id": "42", "phone": PHONE, "code": "48 21", "purpose": "login" }))
        .problem(422, "validation_failed");

    gw.put(
        "/v1/locations/43",
        &json!({ "location_name": "Off", "phone_confirmation": { "enabled": false } }),
    );
    send(
        json!({ "location_id": "43", "phone": "+79990000001", "code": "4821", "purpose": "login" }),
    )
    .problem(409, "notification_disabled");
    gw.put(
        "/v1/locations/44",
        &json!({ "location_name": "No booking check" }),
    );
    send(json!({ "location_id": "44", "phone": "+79990000002", "code": "4821", "purpose": "booking" })).problem(409, "confirmation_not_required");
    gw.put(
        "/v1/locations/45",
        &json!({ "location_name": "Nothing connected", "channels": [] }),
    );
    let none = send(
        json!({ "location_id": "45", "phone": "+79990000003", "code": "4821", "purpose": "login" }),
    );
    let p = none.problem(503, "no_provider");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("Connect an SMS provider or a chatbot")
    );
}

#[test]
fn first_channel_unreachable_second_delivers_and_all_down_gives_502() {
    let dir = tempfile::tempdir().unwrap();
    let extra = format!(
        r#"[[adapters]]
name = "mock-tg"
library = "libadapter_mock.so"
[adapters.settings]
channel = "telegram"
reachability_check = true
unreachable_numbers = ["{PHONE}", "+79995556677"]
outbox = "{tg}"

[[adapters]]
name = "mock-down"
library = "libadapter_mock.so"
[adapters.settings]
failure_rate = 1.0
outbox = "{down}"
"#,
        tg = dir.path().join("tg-outbox.jsonl").display(),
        down = dir.path().join("down-outbox.jsonl").display(),
    );
    let gw = Gateway::start(dir.path(), &config(&extra));
    location(&gw, "42", Some(&["mock-tg", "mock"]));
    let r = gw.post(
        "/v1/messages",
        &json!({ "location_id": "42", "phone": PHONE, "code": "4821", "purpose": "login" }),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["adapter"], "mock");
    let attempts = r.json["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2, "{}", r.text);
    assert_eq!(attempts[0]["adapter"], "mock-tg");
    assert_eq!(attempts[0]["outcome"], "unreachable");
    assert_eq!(attempts[1]["adapter"], "mock");
    assert_eq!(attempts[1]["outcome"], "sent");
    let id = r.json["id"].as_str().unwrap();
    assert_eq!(
        gw.get(&format!("/v1/messages/{id}")).json["attempts"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Another phone the Telegram mock can reach goes there directly.
    let r = gw.post("/v1/messages", &json!({ "location_id": "42", "phone": "+79991112233", "code": "4821", "purpose": "login" }));
    assert_eq!(r.json["adapter"], "mock-tg", "{}", r.text);
    assert_eq!(r.json["channel"], "telegram");

    location(&gw, "down", Some(&["mock-down", "mock-tg"]));
    let r = gw.post("/v1/messages", &json!({ "location_id": "down", "phone": "+79995556677", "code": "4821", "purpose": "login" }));
    let p = r.problem(502, "provider_failed");
    let attempts = p["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2, "{}", r.text);
    assert_eq!(attempts[0]["adapter"], "mock-down");
    assert_eq!(attempts[0]["outcome"], "transient");
    assert_eq!(attempts[1]["adapter"], "mock-tg");
    assert_eq!(attempts[1]["outcome"], "unreachable");
}

#[test]
fn adapters_listing_and_readiness() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &config(""));
    let list = gw.get("/v1/adapters");
    assert_eq!(list.status, 200);
    let a = &list.json["adapters"][0];
    assert_eq!(a["name"], "mock");
    assert_eq!(a["kind"], "mock");
    assert_eq!(a["abi_version"], 1);
    assert!(a["version"].as_str().is_some_and(|v| !v.is_empty()));
    assert_eq!(a["channels"], json!(["sms"]));
    assert_eq!(a["health"]["up"], true);
    assert!(
        a["library"]
            .as_str()
            .unwrap()
            .ends_with("libadapter_mock.so")
    );
    assert_eq!(gw.call("GET", "/readyz", None, None).status, 200);
}
