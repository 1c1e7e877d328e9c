//! The adapter against the fake "Example SMS" API (`tests/support/fake.rs`), through the
//! SDK's conformance kit, including the provider's whole error table.

#[path = "support/fake.rs"]
mod fake;

use adapter_template::{SIGNATURE_HEADER, TemplateAdapter, sign};
use fake::{Answer, FakeExampleSms};
use gateway_sdk::conformance::{ConformanceHarness, ProviderErrorCase, Scenario, run_conformance};
use gateway_sdk::test_util::{callback_request, context, send_request};
use gateway_sdk::{Adapter, CallbackRequest, SendRequest};
use std::sync::{Mutex, PoisonError};

const API_KEY: &str = "test-key";
const SECRET: &str = "webhook-secret";

/// Keeps every fake alive until the end, to check none saw a protocol violation.
#[derive(Default)]
struct Harness {
    fakes: Mutex<Vec<FakeExampleSms>>,
}

impl Harness {
    fn adapter_for(&self, answer: Answer, secret: Option<&str>) -> TemplateAdapter {
        let fake = FakeExampleSms::start(API_KEY, answer);
        let mut settings = serde_json::json!({ "base_url": fake.base_url, "api_key": API_KEY });
        if let Some(secret) = secret {
            settings["webhook_secret"] = secret.into();
        }
        self.fakes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(fake);
        TemplateAdapter::create(settings, context("example")).expect("valid settings")
    }

    fn violations(&self) -> Vec<String> {
        let fakes = self.fakes.lock().unwrap_or_else(PoisonError::into_inner);
        fakes.iter().flat_map(FakeExampleSms::violations).collect()
    }
}

#[gateway_sdk::async_trait]
impl ConformanceHarness for Harness {
    type Adapter = TemplateAdapter;

    async fn adapter(&self, scenario: Scenario) -> TemplateAdapter {
        let answer = match scenario {
            Scenario::Accept => Answer::Accept,
            Scenario::ClientError => Answer::Error {
                http_status: 400,
                code: 1,
            },
            Scenario::ServerError => Answer::ServerError,
            Scenario::Stall => Answer::Stall,
            Scenario::Malformed => Answer::Malformed,
        };
        self.adapter_for(answer, Some(SECRET))
    }

    fn request(&self, message_id: &str) -> SendRequest {
        send_request(message_id, "+15550001111")
    }

    fn callback(&self, valid: bool) -> Option<CallbackRequest> {
        let body = r#"{"id":"ex_1","status":"delivered"}"#;
        let key = if valid { SECRET } else { "forged" };
        Some(signed(&sign(key, body), body))
    }

    /// The provider's documented codes, as `"<HTTP status> <code>"`: it sends most with
    /// HTTP 200, some with a 4xx.
    fn provider_errors(&self) -> Vec<ProviderErrorCase> {
        [
            ("200 1", "rejected"),
            ("400 1", "rejected"),
            ("200 2", "auth"),
            ("401 2", "auth"),
            ("200 3", "account"),
            ("200 4", "account"),
            ("429 5", "throttled"),
            ("200 6", "unreachable"),
            ("200 7", "config"),
            ("200 8", "transient"),
            ("200 99", "transient"),
        ]
        .into_iter()
        .map(|(answer, kind)| ProviderErrorCase::new(answer, kind))
        .collect()
    }

    async fn adapter_answering(&self, answer: &str) -> Option<TemplateAdapter> {
        Some(self.adapter_for(Answer::parse(answer)?, Some(SECRET)))
    }

    fn callback_with_unknown_status(&self) -> Option<CallbackRequest> {
        let body = r#"{"id":"ex_1","status":"fermenting"}"#;
        Some(signed(&sign(SECRET, body), body))
    }

    async fn adapter_without_callback_secret(&self) -> Option<TemplateAdapter> {
        Some(self.adapter_for(Answer::Accept, None))
    }
}

fn signed(signature: &str, body: &str) -> CallbackRequest {
    callback_request(
        "http://127.0.0.1/v1/callbacks/example",
        &[(SIGNATURE_HEADER, signature)],
        body,
    )
}

#[tokio::test]
async fn template_passes_the_conformance_kit() {
    let harness = Harness::default();
    run_conformance(&harness).await;
    assert_eq!(harness.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn an_account_problem_marks_the_instance_down() {
    let harness = Harness::default();
    let broke = harness.adapter_for(
        Answer::Error {
            http_status: 200,
            code: 3,
        },
        None,
    );
    let err = broke
        .send(send_request("msg_1", "+15550001111"))
        .await
        .expect_err("no funds");
    assert_eq!(err.kind(), "account", "{err}");
    let health = broke.health().await;
    assert!(!health.up);
    assert!(
        health
            .detail
            .unwrap_or_default()
            .contains("insufficient funds")
    );
    assert_eq!(harness.violations(), Vec::<String>::new());
}
