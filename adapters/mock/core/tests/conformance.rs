//! The mock passes the SDK's conformance kit; its "fake provider" is its fault config.

use adapter_mock_core::{MockAdapter, callback};
use gateway_sdk::conformance::{ConformanceHarness, Scenario, run_conformance};
use gateway_sdk::{Adapter, CallbackRequest, CreateContext, SendRequest};

const PHONE: &str = "+15550001111";
const SECRET: &str = "conformance-secret";

struct Harness {
    dir: tempfile::TempDir,
}

#[async_trait::async_trait]
impl ConformanceHarness for Harness {
    type Adapter = MockAdapter;

    async fn adapter(&self, scenario: Scenario) -> MockAdapter {
        let fault = match scenario {
            Scenario::Accept => serde_json::json!({}),
            Scenario::ClientError => serde_json::json!({"reject_numbers": [PHONE]}),
            Scenario::ServerError => serde_json::json!({"failure_rate": 1.0}),
            Scenario::Stall => serde_json::json!({"stall_numbers": [PHONE]}),
            Scenario::Malformed => serde_json::json!({"malformed_numbers": [PHONE]}),
        };
        let mut settings = fault;
        settings["callback_secret"] = SECRET.into();
        let ctx = CreateContext {
            instance: "conformance".into(),
            data_dir: self.dir.path().to_string_lossy().into_owned(),
            public_url: None,
        };
        MockAdapter::create(settings, ctx).expect("valid mock settings")
    }

    fn request(&self, message_id: &str) -> SendRequest {
        SendRequest {
            message_id: message_id.into(),
            phone: PHONE.into(),
            text: "Confirmation code: 4821".into(),
            code: "4821".into(),
            title: None,
            language: "en".into(),
            sender_id: None,
            code_ttl_secs: 300,
            deadline_ms: 0,
            idempotency_key: message_id.into(),
            callback_url: None,
            precheck_ref: None,
            encoding: None,
            segments: None,
        }
    }

    fn callback(&self, valid: bool) -> Option<CallbackRequest> {
        let body = r#"{"provider_message_id":"mock_1","status":"delivered"}"#;
        let signature = callback::sign(SECRET, body);
        let body = if valid {
            body.to_owned()
        } else {
            body.replace("delivered", "failed")
        };
        Some(CallbackRequest {
            method: "POST".into(),
            url: "http://127.0.0.1/v1/callbacks/conformance".into(),
            headers: vec![(callback::SIGNATURE_HEADER.into(), signature)],
            body,
            received_at: time::OffsetDateTime::now_utc(),
        })
    }
}

#[tokio::test]
async fn mock_passes_the_conformance_kit() {
    let harness = Harness {
        dir: tempfile::tempdir().expect("tempdir"),
    };
    run_conformance(&harness).await;
}
