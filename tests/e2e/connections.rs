//! Provider connections end to end: two real gateway processes on one SQLite file, the
//! real Twilio adapter library, the Twilio fake on loopback. A connection made through
//! one instance's API sends, takes signed delivery reports at its own callback URL,
//! rotates its token, and goes away on both instances with no restart; its token never
//! reaches the database file, a log or a response.

use e2e::{DEV_KEY, Gateway, Reply, config};
use fake_providers::twilio::{FakeAccount, FakeTwilio, signed_status_callback};
use serde_json::json;

/// A 32-byte key, base64: what `openssl rand -base64 32` prints.
const SECRETS_KEY: &str = "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=";
const NEW_TOKEN: &str = "rotated-auth-token-fedcba9876543210";

fn gateway(dir: &std::path::Path, data: &std::path::Path, recheck: &str) -> Gateway {
    let env = [("GATEWAY__SECRETS__KEY", SECRETS_KEY)];
    Gateway::start_sharing(dir, data, &env, |port| {
        config(&format!(
            r#"[server]
public_url = "http://127.0.0.1:{port}"

[connections]
libraries = ["libadapter_twilio.so"]
recheck = "{recheck}"
"#
        ))
    })
}

fn send(gw: &Gateway, phone: &str) -> Reply {
    gw.post(
        "/v1/messages",
        &json!({ "location_id": "42", "phone": phone, "code": "4821", "purpose": "login" }),
    )
}

/// Every response body checked for the tokens as it comes.
struct Seen<'a>(&'a [&'a str]);

impl Seen<'_> {
    #[track_caller]
    fn clean(&self, r: &Reply) {
        for t in self.0 {
            assert!(
                !r.text.contains(t),
                "a response carries the provider token: {}",
                r.text
            );
        }
    }
}

#[test]
fn a_connection_made_through_the_api_sends_reports_rotates_and_goes_everywhere() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let (dir_a, dir_b) = (root.path().join("a"), root.path().join("b"));
    std::fs::create_dir_all(&dir_a).unwrap();
    std::fs::create_dir_all(&dir_b).unwrap();
    let fake = FakeTwilio::start(FakeAccount::default());
    let old_token = fake.account().auth_token;
    let seen = Seen(&[&old_token, NEW_TOKEN]);
    let a = gateway(&dir_a, &data, "500ms");
    // The second instance re-reads a connection's version on every send (recheck 0s), so
    // this test needs no sleeps; the 500 ms bound is unit-tested with a manual clock.
    let b = gateway(&dir_b, &data, "0s");

    // Refusals say what to do.
    let mut settings = fake.settings_json();
    let r = a.post(
        "/v1/connections",
        &json!({ "kind": "smoke", "name": "x", "settings": settings }),
    );
    let p = r.problem(422, "unknown_adapter_kind");
    assert!(
        p["known_kinds"]
            .as_array()
            .unwrap()
            .contains(&json!("twilio")),
        "{p}"
    );
    seen.clean(&r);
    settings.as_object_mut().unwrap().remove("auth_token");
    let r = a.post(
        "/v1/connections",
        &json!({ "kind": "twilio", "name": "x", "settings": settings }),
    );
    assert_eq!(
        r.problem(422, "invalid_settings")["field"],
        "settings.auth_token",
        "{}",
        r.text
    );

    // Create it for location 42 against the fake.
    let r = a.post(
        "/v1/connections",
        &json!({ "kind": "twilio", "name": "Beauty Lab SMS", "location_id": "42",
                 "settings": fake.settings_json() }),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    seen.clean(&r);
    let id = r.json["id"].as_str().unwrap().to_owned();
    assert_eq!(r.json["secret_settings"], json!(["auth_token"]));
    let callback_url = format!("{}/v1/callbacks/{id}", a.base);
    assert_eq!(r.json["callback_url"], callback_url.as_str());
    let listed = b.get("/v1/connections?location_id=42");
    assert_eq!(
        listed.json["connections"][0]["id"],
        id.as_str(),
        "{}",
        listed.text
    );
    seen.clean(&listed);

    // Point the location's channels at it; another location may not use it.
    let loc = json!({ "company_name": "Beauty Lab", "location_name": "Tverskaya", "country": "RU", "channels": [id] });
    let r = a.put("/v1/locations/42", &loc);
    assert_eq!(r.status, 201, "{}", r.text);
    a.put(
        "/v1/locations/7",
        &json!({ "location_name": "Other", "channels": [id] }),
    )
    .problem(422, "connection_not_allowed");
    let ready = a.get("/v1/locations/42/readiness");
    assert_eq!(ready.json["ready"], true, "{}", ready.text);
    assert_eq!(ready.json["channels"][0]["source"], "connection");
    assert_eq!(ready.json["channels"][0]["kind"], "twilio");

    // Send a code through it, from both instances; the report comes to its own URL.
    let sent = send(&a, "+79991234561");
    assert_eq!(sent.status, 201, "{}", sent.text);
    assert_eq!(sent.json["adapter"], id.as_str());
    let via_b = send(&b, "+79991234562");
    assert_eq!(via_b.status, 201, "{}", via_b.text);
    let accepted = fake.accepted();
    assert_eq!(accepted.len(), 2);
    assert_eq!(
        accepted[0].status_callback.as_deref(),
        Some(callback_url.as_str())
    );
    let cb = fake
        .status_callback(&accepted[0].sid, "delivered", None)
        .unwrap();
    let r = a.send_to("POST", &cb.url, &cb.headers, cb.body.clone());
    assert_eq!(r.json["applied"], 1, "{}", r.text);
    let msg_id = sent.json["id"].as_str().unwrap();
    assert_eq!(
        a.get(&format!("/v1/messages/{msg_id}")).json["status"],
        "delivered"
    );

    // Rotate the token at the provider, then through the API.
    fake.set_auth_token(NEW_TOKEN);
    let r = a.call(
        "PATCH",
        &format!("/v1/connections/{id}"),
        Some(&json!({ "settings": { "auth_token": NEW_TOKEN } })),
        Some(DEV_KEY),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["version"], 2);
    seen.clean(&r);
    for (gw, phone) in [(&a, "+79991234563"), (&b, "+79991234564")] {
        let r = send(gw, phone);
        assert_eq!(
            r.status, 201,
            "the next send uses the new token: {}",
            r.text
        );
    }
    let accepted = fake.accepted();
    assert_eq!(accepted.len(), 4);
    // A report signed with the old token is refused; one signed with the new one lands.
    let params = [
        ("MessageSid", accepted[2].sid.as_str()),
        ("MessageStatus", "delivered"),
    ];
    let (headers, body) = signed_status_callback(&callback_url, &old_token, &params);
    let r = a.send_to("POST", &callback_url, &headers, body);
    r.problem(401, "invalid_signature");
    let cb = fake
        .status_callback(&accepted[2].sid, "delivered", None)
        .unwrap();
    let r = a.send_to("POST", &cb.url, &cb.headers, cb.body);
    assert_eq!(r.json["applied"], 1, "{}", r.text);

    // Deleting it while location 42 lists it is refused, naming the location.
    let r = b.delete(&format!("/v1/connections/{id}"));
    assert_eq!(
        r.problem(409, "connection_in_use")["locations"],
        json!(["42"])
    );
    let r = a.put(
        "/v1/locations/42",
        &json!({ "location_name": "Tverskaya", "channels": ["mock"] }),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(b.delete(&format!("/v1/connections/{id}")).status, 204);
    a.get(&format!("/v1/connections/{id}"))
        .problem(404, "connection_not_found");
    let r = send(&a, "+79991234565");
    assert_eq!(r.json["adapter"], "mock", "{}", r.text);
    assert_eq!(
        fake.accepted().len(),
        4,
        "the deleted connection sent nothing"
    );

    // The token is nowhere on disk or in the logs.
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap_or_default();
        for t in seen.0 {
            let found = bytes.windows(t.len()).any(|w| w == t.as_bytes());
            assert!(!found, "{} holds a provider token", path.display());
        }
    }
    for (name, log) in [("a", a.log()), ("b", b.log())] {
        for t in seen.0 {
            assert!(!log.contains(t), "log of {name} holds a provider token");
        }
    }
    assert_eq!(fake.violations(), Vec::<String>::new());

    // Readiness says why a location cannot send.
    let off = json!({ "location_name": "Tverskaya", "channels": ["mock"],
                      "phone_confirmation": { "enabled": false } });
    assert_eq!(a.put("/v1/locations/42", &off).status, 200);
    let ready = b.get("/v1/locations/42/readiness");
    assert_eq!(ready.json["ready"], false, "{}", ready.text);
    assert_eq!(
        ready.json["reasons"][0]["code"], "notification_disabled",
        "{}",
        ready.text
    );
}

#[test]
fn rotate_secrets_reencrypts_under_the_new_key() {
    const NEW_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let fake = FakeTwilio::start(FakeAccount::default());
    let mut gw = gateway(root.path(), &data, "500ms");
    let r = gw.post(
        "/v1/connections",
        &json!({ "kind": "twilio", "name": "Salon", "location_id": "42", "settings": fake.settings_json() }),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json["id"].as_str().unwrap().to_owned();
    assert!(gw.terminate().success());

    let out = std::process::Command::new(e2e::artefact("gateway"))
        .args(["rotate-secrets", "--config"])
        .arg(&gw.config_path)
        .arg("--data-dir")
        .arg(&data)
        .env("GATEWAY__SECRETS__KEY", NEW_KEY)
        .env("GATEWAY__SECRETS__PREVIOUS_KEYS", SECRETS_KEY)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("1 re-encrypted"), "{stdout}");

    // Only the new key now: the connection still works.
    let dir = root.path().join("after");
    std::fs::create_dir_all(&dir).unwrap();
    let env = [("GATEWAY__SECRETS__KEY", NEW_KEY)];
    let after = Gateway::start_sharing(&dir, &data, &env, |port| {
        config(&format!(
            "[server]\npublic_url = \"http://127.0.0.1:{port}\"\n[connections]\nlibraries = [\"libadapter_twilio.so\"]\n"
        ))
    });
    let r = after.call(
        "POST",
        &format!("/v1/connections/{id}/test"),
        None,
        Some(DEV_KEY),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let loc = json!({ "location_name": "Salon", "country": "RU", "channels": [id] });
    assert_eq!(after.put("/v1/locations/42", &loc).status, 201);
    let sent = send(&after, "+79991234567");
    assert_eq!(sent.status, 201, "{}", sent.text);
    assert_eq!(fake.violations(), Vec::<String>::new());
}
