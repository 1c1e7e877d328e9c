//! The SDK's conformance battery against the fake Twilio, through the real C ABI table.

use super::send_request;
use crate::TwilioAdapter;
use fake_providers::twilio::{Behaviour, FakeAccount, FakeTwilio, signed_status_callback};
use gateway_sdk::conformance::{ConformanceHarness, Scenario, run_conformance};
use gateway_sdk::{Adapter, CallbackRequest, CreateContext, SendRequest};

const CALLBACK_URL: &str = "https://gw.example.com/v1/callbacks/sms-main";

/// One fake per scenario, alive for the whole battery.
struct Harness {
    fakes: Vec<(Scenario, FakeTwilio)>,
}

impl Harness {
    fn new() -> Self {
        let scenarios = [
            (Scenario::Accept, Behaviour::Accept),
            (Scenario::ClientError, Behaviour::Error(21211)),
            (Scenario::ServerError, Behaviour::ServerError),
            (Scenario::Stall, Behaviour::Stall),
            (Scenario::Malformed, Behaviour::Malformed),
        ];
        let fakes = scenarios
            .into_iter()
            .map(|(scenario, behaviour)| {
                let fake = FakeTwilio::start(FakeAccount::default());
                fake.set_default(behaviour);
                (scenario, fake)
            })
            .collect();
        Self { fakes }
    }

    fn fake(&self, scenario: Scenario) -> &FakeTwilio {
        self.fakes
            .iter()
            .find(|(s, _)| *s == scenario)
            .map(|(_, f)| f)
            .expect("a fake per scenario")
    }
}

#[gateway_sdk::async_trait]
impl ConformanceHarness for Harness {
    type Adapter = TwilioAdapter;

    async fn adapter(&self, scenario: Scenario) -> TwilioAdapter {
        let ctx = CreateContext {
            instance: "sms-main".into(),
            data_dir: String::new(),
            public_url: Some("https://gw.example.com".into()),
        };
        TwilioAdapter::create(self.fake(scenario).settings_json(), ctx).expect("valid settings")
    }

    fn request(&self, message_id: &str) -> SendRequest {
        send_request(message_id, "+79991234567")
    }

    fn callback(&self, valid: bool) -> Option<CallbackRequest> {
        let token = FakeAccount::default().auth_token;
        let params = [
            ("AccountSid", "AC0123456789abcdef0123456789abcdef"),
            ("MessageSid", "SM0123456789abcdef0123456789abcdef"),
            ("MessageStatus", "delivered"),
        ];
        let (mut headers, body) = signed_status_callback(CALLBACK_URL, &token, &params);
        if !valid {
            for (name, value) in &mut headers {
                if name == "x-twilio-signature" {
                    *value = crate::callback::compute_signature(CALLBACK_URL, &[], &token);
                }
            }
        }
        Some(CallbackRequest {
            method: "POST".into(),
            url: CALLBACK_URL.into(),
            headers,
            body,
            received_at: time::OffsetDateTime::now_utc(),
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passes_the_sdk_conformance_battery() {
    let harness = Harness::new();
    run_conformance(&harness).await;
    for (scenario, fake) in &harness.fakes {
        assert_eq!(fake.violations(), Vec::<String>::new(), "{scenario:?}");
    }
    assert_eq!(
        harness.fake(Scenario::Accept).accepted().len(),
        101,
        "accept + 100 concurrent"
    );
}
