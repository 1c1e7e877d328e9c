//! `examples/providers.toml`: `gateway check-config` accepts it, and it serves against
//! the fakes once its fixed ports are swapped for the test's ephemeral ones.

use super::support::Fakes;
use e2e::{Gateway, artefact};
use fake_providers::example_env;
use fake_providers::http_receiver::{FAKE_SECRET, FakeReceiver};
use fake_providers::telegram::Behaviour as TgBehaviour;
use serde_json::json;

#[test]
fn example_providers_config_checks() {
    let example =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/providers.toml");
    let out = std::process::Command::new(artefact("gateway"))
        .arg("check-config")
        .arg("--config")
        .arg(&example)
        .envs(example_env())
        .output()
        .expect("run gateway check-config");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for instance in ["telegram", "whatsapp", "sms", "http", "mock"] {
        assert!(
            stdout.contains(&format!("adapter {instance}: ")),
            "{stdout}"
        );
    }
    for (_, secret) in example_env() {
        assert!(
            !stdout.contains(&secret),
            "check-config printed a secret: {stdout}"
        );
    }
}

#[test]
fn check_config_refuses_the_example_without_its_secrets() {
    let example =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/providers.toml");
    let mut env = example_env();
    let (missing, _) = env.remove(0);
    let out = std::process::Command::new(artefact("gateway"))
        .arg("check-config")
        .arg("--config")
        .arg(&example)
        .env_remove(missing)
        .envs(env)
        .output()
        .expect("run gateway check-config");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "check-config accepted a missing secret"
    );
    assert!(
        stderr.contains(missing),
        "the error does not name `{missing}`: {stderr}"
    );
}

#[test]
fn example_providers_config_serves_against_the_fakes() {
    let dir = tempfile::tempdir().unwrap();
    let fakes = Fakes::start();
    let receiver = FakeReceiver::start(FAKE_SECRET);
    let example = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/providers.toml"),
    )
    .expect("read the example");
    // Its fixed ports become the fakes' and the gateway's ephemeral ones.
    let env = example_env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let gw = Gateway::start_on_own_port(dir.path(), &env, |port| {
        example
            .replace("http://127.0.0.1:18901", &fakes.twilio.base_url)
            .replace("http://127.0.0.1:18902", &fakes.telegram.base_url)
            .replace("http://127.0.0.1:18903", &fakes.whatsapp.base_url)
            .replace("http://127.0.0.1:18904/sms", &receiver.url)
            .replace("127.0.0.1:8080", &format!("127.0.0.1:{port}"))
    });
    let list = gw.get("/v1/adapters");
    let up: Vec<&str> = list.json["adapters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["health"]["up"] == true)
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        up,
        ["telegram", "whatsapp", "sms", "http", "mock"],
        "{}",
        list.text
    );
    // A location without channels takes the default route: Telegram first.
    let r = gw.put("/v1/locations/7", &json!({ "location_name": "Studio" }));
    assert!(r.status == 201 || r.status == 200, "{}", r.text);
    let phone = "+79997778899";
    fakes
        .telegram
        .set_phone_behaviour(phone, TgBehaviour::not_on_telegram());
    let r = gw.post(
        "/v1/messages",
        &json!({ "location_id": "7", "phone": phone, "code": "4821", "purpose": "login" }),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["adapter"], "whatsapp", "{}", r.text);
    assert_eq!(fakes.whatsapp.last_code(phone).as_deref(), Some("4821"));
    fakes.assert_no_violations();
}
