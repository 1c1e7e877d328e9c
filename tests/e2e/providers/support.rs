//! What the provider tests share: the three fakes, a gateway wired to them, and small
//! helpers to send, read messages and post providers' reports.

use e2e::{Gateway, Reply, config};
use fake_providers::telegram::FakeTelegram;
use fake_providers::twilio::{FakeAccount as TwilioAccount, FakeTwilio};
use fake_providers::whatsapp::{FakeAccount as WaAccount, FakeWhatsApp};
use fake_providers::{TELEGRAM_TOKEN, example_env};
use serde_json::{Value, json};

/// The three fakes, started with the credentials `example_env()` names.
pub struct Fakes {
    pub twilio: FakeTwilio,
    pub telegram: FakeTelegram,
    pub whatsapp: FakeWhatsApp,
}

impl Fakes {
    pub fn start() -> Self {
        Self {
            twilio: FakeTwilio::start(TwilioAccount::default()),
            telegram: FakeTelegram::start(TELEGRAM_TOKEN),
            whatsapp: FakeWhatsApp::start(WaAccount::default()),
        }
    }

    /// A gateway on its own port, `public_url` naming it, with the instances
    /// `telegram`, `whatsapp` and `sms` (Twilio) pointed at the fakes; secrets come from
    /// the gateway process's environment.
    pub fn gateway(&self, dir: &std::path::Path) -> Gateway {
        let env = example_env();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let tw = TwilioAccount::default();
        let wa = &self.whatsapp.account;
        Gateway::start_on_own_port(dir, &env, |port| {
            config(&format!(
                r#"[server]
public_url = "http://127.0.0.1:{port}"

[[adapters]]
name = "telegram"
library = "libadapter_telegram.so"
[adapters.settings]
token = {{ env = "TELEGRAM_GATEWAY_TOKEN" }}
base_url = "{tg}"

[[adapters]]
name = "whatsapp"
library = "libadapter_whatsapp.so"
[adapters.settings]
access_token = {{ env = "WHATSAPP_ACCESS_TOKEN" }}
app_secret = {{ env = "WHATSAPP_APP_SECRET" }}
verify_token = {{ env = "WHATSAPP_VERIFY_TOKEN" }}
phone_number_id = "{pnid}"
template_name = "otp_code"
base_url = "{wa_url}"

[[adapters]]
name = "sms"
library = "libadapter_twilio.so"
[adapters.settings]
account_sid = "{sid}"
auth_token = {{ env = "TWILIO_AUTH_TOKEN" }}
from = "{from}"
base_url = "{tw}"
"#,
                tg = self.telegram.base_url,
                pnid = wa.phone_number_id,
                wa_url = self.whatsapp.base_url,
                sid = tw.account_sid,
                from = fake_providers::twilio::FAKE_FROM,
                tw = self.twilio.base_url,
            ))
        })
    }

    #[track_caller]
    pub fn assert_no_violations(&self) {
        assert_eq!(self.twilio.violations(), Vec::<String>::new(), "twilio");
        assert_eq!(self.telegram.violations(), Vec::<String>::new(), "telegram");
        assert_eq!(self.whatsapp.violations(), Vec::<String>::new(), "whatsapp");
    }
}

pub fn location(gw: &Gateway) {
    let r = gw.put(
        "/v1/locations/42",
        &json!({ "company_name": "Beauty Lab", "location_name": "Beauty Lab on Tverskaya",
                 "country": "RU", "channels": ["telegram", "whatsapp", "sms"] }),
    );
    assert!(r.status == 201 || r.status == 200, "{}", r.text);
}

/// Sends a caller-made code; returns the 201 body.
pub fn send(gw: &Gateway, phone: &str) -> Value {
    let r = gw.post(
        "/v1/messages",
        &json!({ "location_id": "42", "phone": phone, "code": "4821", "purpose": "login" }),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    r.json
}

pub fn message(gw: &Gateway, id: &str) -> Value {
    let r = gw.get(&format!("/v1/messages/{id}"));
    assert_eq!(r.status, 200, "{}", r.text);
    r.json
}

/// `(adapter, outcome)` of each attempt.
pub fn attempts(record: &Value) -> Vec<(String, String)> {
    record["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|a| {
            (
                a["adapter"].as_str().expect("adapter").into(),
                a["outcome"].as_str().expect("outcome").into(),
            )
        })
        .collect()
}

/// Posts a provider's report and expects it applied to one known message.
#[track_caller]
pub fn report(gw: &Gateway, url: &str, headers: &[(String, String)], body: String) {
    let r = gw.send_to("POST", url, headers, body);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["applied"], 1, "{}", r.text);
}

/// Posts a report and expects `401 invalid_signature` that changes nothing on `id`.
#[track_caller]
pub fn refused(gw: &Gateway, id: &str, url: &str, headers: &[(String, String)], body: String) {
    let before = message(gw, id);
    gw.send_to("POST", url, headers, body)
        .problem(401, "invalid_signature");
    assert_eq!(message(gw, id), before);
}

/// Posts a correctly signed report for a message the gateway never sent: acknowledged.
#[track_caller]
pub fn unknown(gw: &Gateway, url: &str, headers: &[(String, String)], body: String) {
    let r: Reply = gw.send_to("POST", url, headers, body);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["unknown"], 1, "{}", r.text);
}

pub fn last_history(record: &Value) -> (String, String) {
    let h = record["history"]
        .as_array()
        .expect("history")
        .last()
        .expect("an entry");
    (
        h["adapter"].as_str().expect("adapter").into(),
        h["status"].as_str().expect("status").into(),
    )
}

pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
