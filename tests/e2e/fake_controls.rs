//! The fakes' control switches (docs/adapters/README.md, "Switches"), used over HTTP as a
//! person trying fallback by hand would: each fake is made to refuse, fail, be slow and
//! accept again, and to post signed delivery reports, and the real gateway process with
//! the real adapter libraries routes and records accordingly.

use e2e::{Gateway, config};
use fake_providers::control::{ControlServer, Fakes};
use fake_providers::http_receiver::{FAKE_SECRET, FakeReceiver};
use fake_providers::telegram::FakeTelegram;
use fake_providers::twilio::{FAKE_FROM, FakeAccount as TwilioAccount, FakeTwilio};
use fake_providers::whatsapp::{FakeAccount as WaAccount, FakeWhatsApp};
use fake_providers::{TELEGRAM_TOKEN, example_env};
use serde_json::{Value, json};
use std::sync::Arc;

/// The four fakes behind a control server, and a gateway routing Telegram → WhatsApp →
/// SMS (Twilio) → HTTP with a 3 s deadline per adapter (room for a loaded machine).
pub(crate) struct Setup {
    pub(crate) fakes: Arc<Fakes>,
    pub(crate) control: ControlServer,
    pub(crate) gw: Gateway,
    pub(crate) http: reqwest::blocking::Client,
}

/// The four channels in order; late fallback off (each report here is about the
/// channel that took the message; `late_fallback.rs` tests the fallback).
fn setup(dir: &std::path::Path) -> Setup {
    setup_with(
        dir,
        &["telegram", "whatsapp", "sms", "http"],
        &[("GATEWAY__ROUTING__LATE_FALLBACK_WINDOW", "0s")],
    )
}

/// The fakes and a gateway with all four instances, location `5` routing through
/// `channels`; `extra_env` is set on the gateway process.
pub(crate) fn setup_with(
    dir: &std::path::Path,
    channels: &[&str],
    extra_env: &[(&str, &str)],
) -> Setup {
    setup_full(dir, channels, extra_env, "")
}

/// [`setup_with`], with `whatsapp_keys` (TOML lines) added to the `whatsapp` instance.
pub(crate) fn setup_full(
    dir: &std::path::Path,
    channels: &[&str],
    extra_env: &[(&str, &str)],
    whatsapp_keys: &str,
) -> Setup {
    let wa = FakeWhatsApp::start(WaAccount::default());
    let (twilio, telegram, http) = (
        FakeTwilio::start(TwilioAccount::default()),
        FakeTelegram::start(TELEGRAM_TOKEN),
        FakeReceiver::start(FAKE_SECRET),
    );
    let urls = (
        twilio.base_url.clone(),
        telegram.base_url.clone(),
        wa.base_url.clone(),
        http.url.clone(),
    );
    let pnid = wa.account.phone_number_id.clone();
    let env = example_env();
    let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    env.extend_from_slice(extra_env);
    let gw = Gateway::start_on_own_port(dir, &env, |port| {
        config(&format!(
            r#"[server]
public_url = "http://127.0.0.1:{port}"

[[adapters]]
name = "telegram"
library = "libadapter_telegram.so"
timeout = "3s"
[adapters.settings]
token = {{ env = "TELEGRAM_GATEWAY_TOKEN" }}
base_url = "{tg}"

[[adapters]]
name = "whatsapp"
library = "libadapter_whatsapp.so"
timeout = "3s"
{whatsapp_keys}
[adapters.settings]
access_token = {{ env = "WHATSAPP_ACCESS_TOKEN" }}
app_secret = {{ env = "WHATSAPP_APP_SECRET" }}
verify_token = {{ env = "WHATSAPP_VERIFY_TOKEN" }}
phone_number_id = "{pnid}"
template_name = "otp_code"
base_url = "{wa}"

[[adapters]]
name = "sms"
library = "libadapter_twilio.so"
timeout = "3s"
[adapters.settings]
account_sid = "{sid}"
auth_token = {{ env = "TWILIO_AUTH_TOKEN" }}
from = "{FAKE_FROM}"
base_url = "{tw}"

[[adapters]]
name = "http"
library = "libadapter_http.so"
timeout = "3s"
[adapters.settings]
url = "{hr}"
signing_secret = {{ env = "HTTP_ADAPTER_SIGNING_SECRET" }}
"#,
            tw = urls.0,
            tg = urls.1,
            wa = urls.2,
            hr = urls.3,
            sid = TwilioAccount::default().account_sid,
        ))
    });
    let fakes = Arc::new(Fakes {
        twilio,
        telegram,
        whatsapp: wa,
        http,
        gateway: gw.base.clone(),
    });
    let control = ControlServer::start(([127, 0, 0, 1], 0).into(), Arc::clone(&fakes));
    let r = gw.put(
        "/v1/locations/5",
        &json!({ "company_name": "Beauty Lab", "location_name": "Beauty Lab", "country": "RU",
                 "channels": channels }),
    );
    assert!(r.status == 201 || r.status == 200, "{}", r.text);
    Setup {
        fakes,
        control,
        gw,
        http: reqwest::blocking::Client::new(),
    }
}

impl Setup {
    /// `POST {control}{path}`: the status and the JSON answer.
    pub(crate) fn switch(&self, path: &str) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.control.base_url))
            .send()
            .expect("the control server answers");
        let status = r.status().as_u16();
        (status, r.json().expect("a JSON answer"))
    }

    #[track_caller]
    pub(crate) fn ok(&self, path: &str) -> Value {
        let (status, body) = self.switch(path);
        assert_eq!(status, 200, "{path}: {body}");
        body
    }

    /// Sends a code to `phone`: the `(adapter, outcome)` of each attempt, and the id.
    fn send(&self, phone: &str) -> (Vec<(String, String)>, String) {
        let (status, body) = self.try_send(phone);
        assert_eq!(status, 201, "{body}");
        (outcomes(&body), body["id"].as_str().unwrap().to_owned())
    }

    fn try_send(&self, phone: &str) -> (u16, Value) {
        let r = self.gw.post(
            "/v1/messages",
            &json!({ "location_id": "5", "phone": phone, "code": "4821", "purpose": "login" }),
        );
        (r.status, r.json)
    }

    fn status_of(&self, id: &str) -> Value {
        self.gw.get(&format!("/v1/messages/{id}")).json["status"].clone()
    }
}

fn outcomes(body: &Value) -> Vec<(String, String)> {
    let field = |a: &Value, k: &str| a[k].as_str().unwrap().to_owned();
    body["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (field(a, "adapter"), field(a, "outcome")))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, o)| ((*a).into(), (*o).into()))
        .collect()
}

/// Asserts a `report` switch reached the gateway and was applied.
#[track_caller]
fn applied(answer: &Value) {
    assert_eq!(answer["gateway_status"], 200, "{answer}");
    assert_eq!(answer["gateway_answer"]["applied"], 1, "{answer}");
}

#[test]
fn each_switch_moves_the_gateway_along_the_channels() {
    let dir = tempfile::tempdir().unwrap();
    let s = setup(dir.path());
    let help = s
        .http
        .get(&s.control.base_url)
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(help.contains("refuse") && help.contains("report"), "{help}");

    let (first, telegram_id) = s.send("+79990000001");
    assert_eq!(first, pairs(&[("telegram", "sent")]));

    // refuse: Telegram cannot reach anyone, WhatsApp takes it.
    assert_eq!(s.ok("/telegram/refuse")["phone"], Value::Null);
    let (attempts, whatsapp_id) = s.send("+79990000002");
    assert_eq!(
        attempts,
        pairs(&[("telegram", "unreachable"), ("whatsapp", "sent")])
    );

    // fail: WhatsApp answers 500, SMS takes it.
    s.ok("/whatsapp/fail");
    let (attempts, sms_id) = s.send("+79990000003");
    let to_sms = [
        ("telegram", "unreachable"),
        ("whatsapp", "transient"),
        ("sms", "sent"),
    ];
    assert_eq!(attempts, pairs(&to_sms));

    // slow: Twilio answers after the 3 s deadline, the HTTP service takes it.
    assert_eq!(s.ok("/twilio/slow?ms=9000")["delay_ms"], 9000);
    let (attempts, http_id) = s.send("+79990000004");
    let to_http = [
        ("telegram", "unreachable"),
        ("whatsapp", "transient"),
        ("sms", "timeout"),
        ("http", "sent"),
    ];
    assert_eq!(attempts, pairs(&to_http));

    // report: each fake signs a report for its last message and posts it to the gateway.
    applied(&s.ok("/http/report"));
    assert_eq!(s.status_of(&http_id), "delivered");
    applied(&s.ok(&format!(
        "/twilio/report?id={}&status=undelivered",
        s.fakes.twilio.accepted()[0].sid
    )));
    assert_eq!(s.status_of(&sms_id), "undelivered");
    applied(&s.ok("/whatsapp/report?status=read"));
    assert_eq!(s.status_of(&whatsapp_id), "read");
    applied(&s.ok("/telegram/report"));
    assert_eq!(s.status_of(&telegram_id), "delivered");

    // accept, and a switch for one phone only.
    for fake in ["telegram", "whatsapp", "twilio"] {
        s.ok(&format!("/{fake}/accept"));
    }
    assert_eq!(
        s.ok("/telegram/refuse?phone=%2B79990000005")["phone"],
        "+79990000005"
    );
    let (attempts, _) = s.send("+79990000005");
    assert_eq!(
        attempts,
        pairs(&[("telegram", "unreachable"), ("whatsapp", "sent")])
    );
    let (attempts, _) = s.send("+79990000006");
    assert_eq!(attempts, pairs(&[("telegram", "sent")]));
    // The HTTP service refuses and fails too; the switches answer per fake.
    s.ok("/telegram/refuse");
    s.ok("/whatsapp/refuse");
    s.ok("/twilio/refuse");
    s.ok("/http/fail");
    let (status, refused) = s.try_send("+79990000007");
    assert_eq!(status, 502, "every channel failed: {refused}");
    let none = [
        ("telegram", "unreachable"),
        ("whatsapp", "unreachable"),
        ("sms", "unreachable"),
        ("http", "transient"),
    ];
    assert_eq!(outcomes(&refused), pairs(&none));

    // Mistakes are explained, not guessed at.
    assert_eq!(s.switch("/fax/refuse").0, 404);
    assert_eq!(s.switch("/twilio/explode").0, 404);
    assert_eq!(s.switch("/twilio/slow?ms=soon").0, 400);
    assert_eq!(s.switch("/http/refuse?phone=79990000001").0, 400);
    assert_eq!(s.switch("/http/report?id=hr_999").0, 404);
    for (name, violations) in [
        ("twilio", s.fakes.twilio.violations()),
        ("telegram", s.fakes.telegram.violations()),
        ("whatsapp", s.fakes.whatsapp.violations()),
        ("http", s.fakes.http.violations()),
    ] {
        assert_eq!(violations, Vec::<String>::new(), "{name}");
    }
}
