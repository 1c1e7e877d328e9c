//! The generic HTTP adapter end to end: the gateway process loads `libadapter_http.so`
//! and POSTs signed JSON to a receiver on 127.0.0.1 — the fake receiver (actix-web,
//! checking signatures with the Standard Webhooks project's library) and the Python
//! receiver printed in docs/adapters/http.md, extracted from the page and run with
//! `python3`, so the documentation cannot drift from the adapter — and as a connection
//! made through the API, whose signing secret stays write-only.

use e2e::{Gateway, config, free_port};
use fake_providers::http_receiver::{Behaviour, FAKE_SECRET, FakeReceiver};
use serde_json::{Value, json};
use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A secret neither receiver knows.
const OTHER_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// A gateway whose `public_url` names it, with `adapters` TOML appended; the secrets are
/// in its environment as `HTTP_SECRET` and `OTHER_SECRET`.
fn gateway(dir: &std::path::Path, adapters: &str) -> Gateway {
    let env = [("HTTP_SECRET", FAKE_SECRET), ("OTHER_SECRET", OTHER_SECRET)];
    Gateway::start_on_own_port(dir, &env, |port| {
        config(&format!(
            "[server]\npublic_url = \"http://127.0.0.1:{port}\"\n\n{adapters}"
        ))
    })
}

fn http_instance(name: &str, url: &str, secret_var: &str) -> String {
    format!(
        r#"[[adapters]]
name = "{name}"
library = "libadapter_http.so"
[adapters.settings]
url = "{url}"
signing_secret = {{ env = "{secret_var}" }}
"#
    )
}

fn location(gw: &Gateway, id: &str, channels: &[&str]) {
    let r = gw.put(
        &format!("/v1/locations/{id}"),
        &json!({ "company_name": "Beauty Lab", "location_name": "Beauty Lab", "country": "RU",
                 "channels": channels }),
    );
    assert!(r.status == 201 || r.status == 200, "{}", r.text);
}

fn send(gw: &Gateway, location: &str, phone: &str) -> Value {
    let r = gw.post(
        "/v1/messages",
        &json!({ "location_id": location, "phone": phone, "code": "4821", "purpose": "login" }),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    r.json
}

fn attempts(record: &Value) -> Vec<(String, String)> {
    record["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let field = |k: &str| a[k].as_str().unwrap().to_owned();
            (field("adapter"), field("outcome"))
        })
        .collect()
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[test]
fn http_adapter_sends_signed_json_and_takes_signed_reports() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeReceiver::start(FAKE_SECRET);
    let gw = gateway(dir.path(), &http_instance("http", &fake.url, "HTTP_SECRET"));
    location(&gw, "1", &["http", "mock"]);

    let adapters = gw.get("/v1/adapters");
    let http = adapters.json["adapters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "http")
        .cloned()
        .unwrap_or_else(|| panic!("no http instance: {}", adapters.text));
    assert_eq!(http["kind"], "http", "{http}");
    assert_eq!(http["channels"], json!(["sms"]), "{http}");
    assert_eq!(http["capabilities"]["delivery_reports"], true, "{http}");
    assert_eq!(http["health"]["up"], true, "{http}");

    let sent = send(&gw, "1", "+79991234567");
    assert_eq!(attempts(&sent), [("http".into(), "sent".into())], "{sent}");
    let id = sent["id"].as_str().unwrap();
    let accepted = fake.accepted();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].message_id, id);
    assert_eq!(accepted[0].code, "4821");
    assert_eq!(sent["provider_message_id"], accepted[0].id.as_str());
    let callback_url = format!("{}/v1/callbacks/http", gw.base);
    assert_eq!(
        accepted[0].callback_url.as_deref(),
        Some(callback_url.as_str())
    );
    let received = fake.requests();
    assert!(
        received[0].signed,
        "the Standard Webhooks library verified it"
    );
    assert_eq!(received[0].body["encoding"], "GSM-7");
    assert_eq!(received[0].body["segments"], 1);

    // Its signed report reaches the history; forged, replayed and unknown ones do not.
    let report = fake
        .report(&accepted[0].id, "delivered", now(), None)
        .unwrap();
    let r = gw.send_to("POST", &callback_url, &report.headers, report.body.clone());
    assert_eq!(
        (r.status, &r.json["applied"]),
        (200, &json!(1)),
        "{}",
        r.text
    );
    let record = gw.get(&format!("/v1/messages/{id}")).json;
    assert_eq!(record["status"], "delivered", "{record}");
    let mut forged = fake.report(&accepted[0].id, "failed", now(), None).unwrap();
    forged.body = forged.body.replace("failed", "expired");
    gw.send_to("POST", &callback_url, &forged.headers, forged.body)
        .problem(401, "invalid_signature");
    let old = fake
        .report(&accepted[0].id, "failed", now() - 600, None)
        .unwrap();
    gw.send_to("POST", &callback_url, &old.headers, old.body)
        .problem(401, "invalid_signature");
    assert_eq!(
        gw.get(&format!("/v1/messages/{id}")).json["status"],
        "delivered"
    );

    // A throttling service moves the message on to the next channel.
    let phone = "+79991234568";
    let throttle = Behaviour::Answer {
        status: 429,
        kind: None,
        retry_after: Some(30),
    };
    fake.set_phone_behaviour(phone, throttle);
    let fallback = send(&gw, "1", phone);
    let expected = [
        ("http".into(), "throttled".into()),
        ("mock".into(), "sent".into()),
    ];
    assert_eq!(attempts(&fallback), expected, "{fallback}");
    assert_eq!(fake.violations(), Vec::<String>::new());
    let log = gw.log();
    assert!(
        !log.contains(FAKE_SECRET) && !log.contains("4cc"),
        "the secret is logged"
    );
    assert!(!log.contains("+79991234567"), "a full phone is logged");
}

/// The Python block of docs/adapters/http.md.
fn documented_receiver() -> String {
    let page = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/adapters/http.md"),
    )
    .expect("read docs/adapters/http.md");
    let start = page.find("```python\n").expect("a ```python block") + "```python\n".len();
    let len = page[start..].find("```").expect("the block ends");
    page[start..start + len].to_owned()
}

/// The Python that runs the example: the test tools' venv if installed, else `python3`.
fn python() -> std::path::PathBuf {
    let venv = e2e::target_dir().join("../venv/bin/python");
    if venv.exists() {
        venv
    } else {
        "python3".into()
    }
}

/// The receiver process; killed when dropped.
struct Receiver(Child);

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the receiver on a free port; `None` if it exits first (another process took
/// the port between picking and binding) or does not listen within 20 s.
fn start_python(script: &std::path::Path) -> Option<(Receiver, u16)> {
    let port = free_port();
    let mut receiver = Receiver(
        Command::new(python())
            .arg(script)
            .env("SIGNING_SECRET", FAKE_SECRET)
            .env("PORT", port.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start python3 (installed by .ci/install-python-tools.sh)"),
    );
    for _ in 0..800 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some((receiver, port));
        }
        if receiver.0.try_wait().ok().flatten().is_some() {
            return None;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    None
}

#[test]
fn the_python_receiver_in_the_docs_verifies_the_adapter() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("receiver.py");
    std::fs::write(&script, documented_receiver()).unwrap();
    let (mut receiver, port) = (0..3)
        .find_map(|_| start_python(&script))
        .expect("the Python receiver did not listen in three tries");
    let url = format!("http://127.0.0.1:{port}/");
    let adapters = format!(
        "{}\n{}",
        http_instance("http", &url, "HTTP_SECRET"),
        http_instance("http-wrong", &url, "OTHER_SECRET")
    );
    let gw = gateway(dir.path(), &adapters);
    location(&gw, "1", &["http"]);
    location(&gw, "2", &["http-wrong", "mock"]);

    let sent = send(&gw, "1", "+79991234567");
    assert_eq!(attempts(&sent), [("http".into(), "sent".into())], "{sent}");
    let provider_id = sent["provider_message_id"].as_str().unwrap();
    assert!(
        provider_id.len() == 32 && provider_id.bytes().all(|b| b.is_ascii_hexdigit()),
        "the receiver's uuid4().hex: {sent}"
    );
    // Signed with another secret: the example refuses it, and the gateway moves on.
    let refused = send(&gw, "2", "+79991234568");
    let expected = [
        ("http-wrong".into(), "auth".into()),
        ("mock".into(), "sent".into()),
    ];
    assert_eq!(attempts(&refused), expected, "{refused}");

    let _ = receiver.0.kill();
    let mut printed = String::new();
    receiver
        .0
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut printed)
        .unwrap();
    assert_eq!(
        printed, "to +7999***, 1 segment(s)\n",
        "one message reached the route"
    );
}

#[test]
fn an_http_connection_made_through_the_api_keeps_its_secret_write_only() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeReceiver::start(FAKE_SECRET);
    let env = [(
        "GATEWAY__SECRETS__KEY",
        "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=",
    )];
    let gw = Gateway::start_on_own_port(dir.path(), &env, |port| {
        config(&format!(
            "[server]\npublic_url = \"http://127.0.0.1:{port}\"\n\n\
             [connections]\nlibraries = [\"libadapter_http.so\"]\nrecheck = \"0s\"\n"
        ))
    });
    let secret_part = FAKE_SECRET.trim_start_matches("whsec_");
    let create = |secret: &str| {
        gw.post(
            "/v1/connections",
            &json!({ "kind": "http", "name": "Salon SMS hook", "location_id": "3",
                     "settings": { "url": fake.url, "signing_secret": secret } }),
        )
    };
    let short = create("whsec_c2hvcnQ=");
    assert_eq!(
        short.problem(422, "invalid_settings")["field"],
        "settings.signing_secret",
        "{}",
        short.text
    );
    let r = create(FAKE_SECRET);
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.json["secret_settings"],
        json!(["signing_secret"]),
        "{}",
        r.text
    );
    assert!(
        !r.text.contains(secret_part),
        "the secret came back: {}",
        r.text
    );
    let id = r.json["id"].as_str().unwrap().to_owned();
    location(&gw, "3", &[&id]);

    let sent = send(&gw, "3", "+79991234567");
    assert_eq!(sent["adapter"], id.as_str(), "{sent}");
    let accepted = fake.accepted();
    let callback_url = format!("{}/v1/callbacks/{id}", gw.base);
    assert_eq!(
        accepted[0].callback_url.as_deref(),
        Some(callback_url.as_str())
    );
    let report = fake
        .report(&accepted[0].id, "delivered", now(), None)
        .unwrap();
    let r = gw.send_to("POST", &callback_url, &report.headers, report.body);
    assert_eq!(
        (r.status, &r.json["applied"]),
        (200, &json!(1)),
        "{}",
        r.text
    );

    let shown = gw.get(&format!("/v1/connections/{id}"));
    assert_eq!(shown.status, 200, "{}", shown.text);
    assert!(!shown.text.contains(secret_part), "{}", shown.text);
    assert!(!gw.log().contains(secret_part), "the secret is logged");
    for entry in std::fs::read_dir(&gw.data_dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(secret_part), "the secret is stored in clear");
    }
    assert_eq!(fake.violations(), Vec::<String>::new());
}
