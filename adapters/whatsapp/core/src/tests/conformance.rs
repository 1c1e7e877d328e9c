//! The SDK's conformance battery against the fake Cloud API, through the C ABI table.

use super::{adapter_for, send_request};
use crate::WhatsAppAdapter;
use fake_providers::whatsapp::{
    Behaviour, FakeAccount, FakeWhatsApp, SignedWebhook, status_notification,
};
use gateway_sdk::conformance::{ConformanceHarness, Scenario, run_conformance};
use gateway_sdk::{CallbackRequest, SendRequest};
use std::sync::Mutex;
use std::time::Duration;
use time::OffsetDateTime;

/// One fake per scenario, kept alive as long as the harness.
#[derive(Default)]
struct Harness {
    fakes: Mutex<Vec<FakeWhatsApp>>,
}

#[gateway_sdk::async_trait]
impl ConformanceHarness for Harness {
    type Adapter = WhatsAppAdapter;

    async fn adapter(&self, scenario: Scenario) -> WhatsAppAdapter {
        let fake = FakeWhatsApp::start(FakeAccount::default());
        fake.set_behaviour(match scenario {
            Scenario::Accept => Behaviour::Accept,
            Scenario::ClientError => Behaviour::not_on_whatsapp(),
            Scenario::ServerError => Behaviour::fail(500, 131000, "Something went wrong"),
            Scenario::Stall => Behaviour::Stall(Duration::from_secs(60)),
            Scenario::Malformed => Behaviour::Malformed,
        });
        let adapter = adapter_for(&fake);
        self.fakes.lock().expect("not poisoned").push(fake);
        adapter
    }

    fn request(&self, message_id: &str) -> SendRequest {
        send_request(message_id, "+79991234567")
    }

    fn callback(&self, valid: bool) -> Option<CallbackRequest> {
        let account = FakeAccount::default();
        let body = status_notification(
            &account.phone_number_id,
            "wamid.FAKE1",
            "79991234567",
            "delivered",
            1_750_000_000,
            None,
        );
        let mut hook = SignedWebhook::sign(&account.app_secret, body);
        if !valid {
            hook.body = hook.body.replace("delivered", "read");
        }
        Some(hook.to_callback_request(
            OffsetDateTime::from_unix_timestamp(1_750_000_001).expect("valid"),
        ))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passes_the_sdk_conformance_battery() {
    let harness = Harness::default();
    run_conformance(&harness).await;
    for fake in harness.fakes.lock().expect("not poisoned").iter() {
        assert_eq!(fake.violations(), Vec::<String>::new());
    }
}
