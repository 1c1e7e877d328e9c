//! A fake WhatsApp Cloud API on `127.0.0.1:0`, for the WhatsApp adapter's tests and the
//! end-to-end tests.
//!
//! It serves `POST /{version}/{phone_number_id}/messages` for one business account and
//! refuses, like Meta, what Meta refuses; when the refusal means the adapter spoke the
//! protocol wrongly (wrong path or version, missing token, not JSON, a missing or
//! unknown field, a malformed authentication template) it also records a violation that
//! tests assert is empty. Behaviours can be set globally or per phone, and
//! [`FakeWhatsApp::status_webhook`] produces correctly signed status notifications.

use crate::server::{FakeServer, JsonRequest, Log};
use gateway_sdk::CallbackRequest;
use hmac::{Hmac, Mac};
use serde_json::json;
use server::{State, process};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::MutexGuard;
use std::time::Duration;
use time::OffsetDateTime;

mod server;
mod wire;

/// Header carrying a webhook's signature.
pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";

/// The signature Meta puts on a webhook call: `sha256=` and the hex HMAC-SHA256 of the
/// body keyed by the app secret. Written here from Meta's documentation, independently
/// of the adapter's check.
pub fn webhook_signature(app_secret: &str, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()).expect("HMAC accepts any key length");
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The business account the fake serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeAccount {
    /// Accepted access token.
    pub access_token: String,
    /// App secret that signs webhooks.
    pub app_secret: String,
    /// Graph API version served.
    pub api_version: String,
    /// Business phone number ID served.
    pub phone_number_id: String,
    /// Approved templates: name → language codes.
    pub templates: HashMap<String, Vec<String>>,
}

impl Default for FakeAccount {
    fn default() -> Self {
        Self {
            access_token: "EAAG-test-token".into(),
            app_secret: "test-app-secret".into(),
            api_version: wire::DEFAULT_API_VERSION.into(),
            phone_number_id: "106540352242922".into(),
            templates: HashMap::from([(
                "otp_code".to_owned(),
                vec!["en_US".to_owned(), "ru".to_owned()],
            )]),
        }
    }
}

/// What the fake does with a valid request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Behaviour {
    /// Accept it and answer the message id.
    #[default]
    Accept,
    /// Answer a Graph API error.
    Fail {
        /// HTTP status.
        http_status: u16,
        /// Graph error code.
        code: i64,
        /// Error message.
        message: String,
    },
    /// Accept it, but answer only after this long.
    Stall(Duration),
    /// Answer 200 with a body that is not a Cloud API answer.
    Malformed,
}

impl Behaviour {
    /// A Graph API error.
    pub fn fail(http_status: u16, code: i64, message: &str) -> Self {
        Self::Fail {
            http_status,
            code,
            message: message.to_owned(),
        }
    }

    /// What Meta answers for a phone that is not on WhatsApp.
    pub fn not_on_whatsapp() -> Self {
        Self::fail(400, 131026, "Message undeliverable")
    }
}

/// One request the fake received.
pub type Received = JsonRequest;

/// A webhook call as Meta would make it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedWebhook {
    /// `Content-Type` and `X-Hub-Signature-256`.
    pub headers: Vec<(String, String)>,
    /// The notification JSON.
    pub body: String,
}

impl SignedWebhook {
    /// Signs `body` with `app_secret`.
    pub fn sign(app_secret: &str, body: String) -> Self {
        let headers = vec![
            ("content-type".into(), "application/json".into()),
            (
                SIGNATURE_HEADER.into(),
                webhook_signature(app_secret, &body),
            ),
        ];
        Self { headers, body }
    }

    /// The call as the gateway hands it to `parse_callback`.
    pub fn to_callback_request(&self, received_at: OffsetDateTime) -> CallbackRequest {
        CallbackRequest {
            method: "POST".into(),
            url: "https://gateway.test/v1/callbacks/whatsapp".into(),
            headers: self.headers.clone(),
            body: self.body.clone(),
            received_at,
        }
    }
}

/// A status notification body for one message (`errors` given for `failed`).
pub fn status_notification(
    phone_number_id: &str,
    message_id: &str,
    recipient: &str,
    status: &str,
    timestamp: i64,
    error: Option<(i64, &str)>,
) -> String {
    let mut s = json!({
        "id": message_id, "status": status, "timestamp": timestamp.to_string(),
        "recipient_id": recipient.trim_start_matches('+'),
    });
    if let Some((code, title)) = error {
        s["errors"] = json!([{ "code": code, "title": title, "message": title,
                               "error_data": { "details": title } }]);
    }
    json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": "102290129340398", "changes": [{ "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "15550783881", "phone_number_id": phone_number_id },
            "statuses": [s]
        }}]}]
    })
    .to_string()
}

/// The `GET` subscription handshake Meta makes when a webhook URL is saved.
pub fn handshake_request(
    verify_token: &str,
    challenge: &str,
    received_at: OffsetDateTime,
) -> CallbackRequest {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("hub.mode", "subscribe")
        .append_pair("hub.challenge", challenge)
        .append_pair("hub.verify_token", verify_token)
        .finish();
    let url = format!("https://gateway.test/v1/callbacks/whatsapp?{query}");
    CallbackRequest {
        method: "GET".into(),
        url,
        headers: Vec::new(),
        body: String::new(),
        received_at,
    }
}

/// A running fake; stopped when dropped.
#[derive(Debug)]
pub struct FakeWhatsApp {
    /// Base URL to put in the adapter's `base_url` setting.
    pub base_url: String,
    /// The account served.
    pub account: FakeAccount,
    server: FakeServer<State, Received>,
}

impl FakeWhatsApp {
    /// Starts a fake serving `account`.
    pub fn start(account: FakeAccount) -> Self {
        let state = State {
            account: account.clone(),
            ..State::default()
        };
        let server = FakeServer::start("whatsapp", state, process);
        Self {
            base_url: server.base_url.clone(),
            account,
            server,
        }
    }

    /// Adapter settings that point at this fake, with the first template.
    pub fn adapter_settings(&self, verify_token: &str) -> serde_json::Value {
        let mut names: Vec<_> = self.account.templates.keys().collect();
        names.sort();
        json!({
            "access_token": self.account.access_token, "app_secret": self.account.app_secret,
            "verify_token": verify_token, "phone_number_id": self.account.phone_number_id,
            "template_name": names.first().map(|n| n.as_str()).unwrap_or("otp_code"),
            "template_language": "en_US", "template_languages": { "ru": "ru" },
            "base_url": self.base_url, "api_version": self.account.api_version,
        })
    }

    fn lock(&self) -> MutexGuard<'_, (State, Log<Received>)> {
        self.server.lock()
    }

    /// Sets what happens to every phone without its own behaviour.
    pub fn set_behaviour(&self, behaviour: Behaviour) {
        self.lock().0.global = behaviour;
    }

    /// Sets what happens to one phone (E.164, with or without `+`).
    pub fn set_phone_behaviour(&self, phone: &str, behaviour: Behaviour) {
        self.lock()
            .0
            .per_phone
            .insert(phone.trim_start_matches('+').to_owned(), behaviour);
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Received> {
        self.server.requests()
    }

    /// Protocol violations seen so far; empty when the adapter spoke the API correctly.
    pub fn violations(&self) -> Vec<String> {
        self.server.violations()
    }

    /// The last code accepted for `phone` (with or without `+`).
    pub fn last_code(&self, phone: &str) -> Option<String> {
        let digits = phone.trim_start_matches('+');
        let guard = self.lock();
        let state = &guard.0;
        let mut sent: Vec<_> = state
            .sent
            .iter()
            .filter(|(_, (to, _))| to == digits)
            .collect();
        sent.sort_by_key(|(id, _)| id_number(id));
        sent.last().map(|(_, (_, code))| code.clone())
    }

    /// The id of the message accepted last, if any.
    pub fn last_message_id(&self) -> Option<String> {
        let guard = self.lock();
        guard.0.sent.keys().max_by_key(|id| id_number(id)).cloned()
    }

    /// A signed notification that accepted message `message_id` reached `status`
    /// (`sent`, `delivered`, `read`, `failed` with `error`) at `timestamp`.
    pub fn status_webhook(
        &self,
        message_id: &str,
        status: &str,
        timestamp: i64,
        error: Option<(i64, &str)>,
    ) -> Option<SignedWebhook> {
        let recipient = self.lock().0.sent.get(message_id)?.0.clone();
        let body = status_notification(
            &self.account.phone_number_id,
            message_id,
            &recipient,
            status,
            timestamp,
            error,
        );
        Some(SignedWebhook::sign(&self.account.app_secret, body))
    }
}

/// The sequence number of an id the fake made (`wamid.FAKE12` → 12): ids are stored in a
/// map, so "the last one" is the highest number.
fn id_number(id: &str) -> u64 {
    id.trim_start_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_message_is_the_one_accepted_last_not_any_of_them() {
        let fake = FakeWhatsApp::start(FakeAccount::default());
        {
            let mut guard = fake.lock();
            for n in 1..=12 {
                let id = format!("wamid.FAKE{n}");
                guard
                    .0
                    .sent
                    .insert(id, ("79991234567".into(), format!("{n:04}")));
            }
        }
        assert_eq!(fake.last_message_id().as_deref(), Some("wamid.FAKE12"));
        assert_eq!(fake.last_code("+79991234567").as_deref(), Some("0012"));
    }
}
