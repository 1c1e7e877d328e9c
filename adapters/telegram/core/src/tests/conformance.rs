//! The SDK's conformance battery against the fake Gateway API, through the C ABI table.

use super::{TOKEN, adapter_for, send_request};
use crate::TelegramAdapter;
use crate::request::{DeliveryState, RequestStatus};
use fake_providers::telegram::{Behaviour, FakeTelegram, SignedReport};
use gateway_sdk::conformance::{ConformanceHarness, Scenario, run_conformance};
use gateway_sdk::{CallbackRequest, SendRequest};
use std::sync::Mutex;
use std::time::Duration;
use time::OffsetDateTime;

/// One fake per scenario, kept alive as long as the harness.
#[derive(Default)]
struct Harness {
    fakes: Mutex<Vec<FakeTelegram>>,
}

#[gateway_sdk::async_trait]
impl ConformanceHarness for Harness {
    type Adapter = TelegramAdapter;

    async fn adapter(&self, scenario: Scenario) -> TelegramAdapter {
        let fake = FakeTelegram::start(TOKEN);
        fake.set_behaviour(match scenario {
            Scenario::Accept => Behaviour::Accept,
            Scenario::ClientError => Behaviour::fail(400, "PHONE_NUMBER_INVALID"),
            Scenario::ServerError => Behaviour::fail(500, "INTERNAL_SERVER_ERROR"),
            Scenario::Stall => Behaviour::Stall(Duration::from_secs(60)),
            Scenario::Malformed => Behaviour::Malformed,
        });
        let adapter = adapter_for(&fake.base_url, TOKEN);
        self.fakes.lock().expect("not poisoned").push(fake);
        adapter
    }

    fn request(&self, message_id: &str) -> SendRequest {
        send_request(message_id, "+79991234567")
    }

    fn callback(&self, valid: bool) -> Option<CallbackRequest> {
        let at = 1_750_000_000;
        let status = RequestStatus {
            request_id: "tgreq_1".into(),
            phone_number: "+79991234567".into(),
            request_cost: 0.01,
            is_refunded: None,
            remaining_balance: None,
            delivery_status: Some(DeliveryState {
                status: "delivered".into(),
                updated_at: at,
            }),
            verification_status: None,
            payload: Some("msg_1".into()),
        };
        let mut report = SignedReport::sign(TOKEN, at, &status);
        if !valid {
            report.body = report.body.replace("delivered", "read");
        }
        Some(
            report.to_callback_request(OffsetDateTime::from_unix_timestamp(at + 1).expect("valid")),
        )
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
