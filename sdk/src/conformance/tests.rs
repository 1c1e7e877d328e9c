//! The kit against an in-memory adapter: a correct one passes, each kind of broken one
//! fails naming its case.

use super::*;
use crate::*;
use std::time::Duration;

/// What the in-memory "provider" does, plus deliberate bugs.
#[derive(Clone, Copy)]
struct Behaviour {
    scenario: Scenario,
    /// Map a 4xx to Transient (wrong).
    misclassify_client_error: bool,
    /// Panic on a malformed answer (wrong).
    panic_on_malformed: bool,
    /// Accept tampered callbacks (wrong).
    trust_callbacks: bool,
    /// The provider answers this documented error code (`None`: per `scenario`).
    provider_code: Option<u32>,
    /// Map code 2 ("wrong password") to Rejected (wrong).
    misread_code_2: bool,
    /// Map an unknown callback status to Delivered (wrong).
    guess_unknown_status: bool,
    /// Configured without a callback secret.
    no_secret: bool,
    /// Without a secret, accept callbacks anyway (wrong).
    trust_without_secret: bool,
}

struct Memory(Behaviour);

#[async_trait]
impl Adapter for Memory {
    const KIND: &'static str = "memory";
    const VERSION: &'static str = "1.0.0";

    fn create(_: serde_json::Value, _: CreateContext) -> Result<Self, AdapterError> {
        Err(AdapterError::config("built directly by the harness"))
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            channels: vec![Channel::Sms],
            reachability_check: false,
            delivery_reports: true,
            provider_renders_text: false,
            codes: None,
        }
    }

    async fn send(&self, request: SendRequest) -> Result<SendResult, AdapterError> {
        let b = self.0;
        match b.provider_code {
            Some(2) if b.misread_code_2 => return Err(AdapterError::rejected("code 2")),
            Some(2) => {
                return Err(AdapterError::Auth {
                    message: "code 2".into(),
                });
            }
            Some(_) => return Err(AdapterError::account("code 3: no funds")),
            None => {}
        }
        match b.scenario {
            Scenario::Accept => Ok(SendResult {
                provider_message_id: format!("mem-{}", request.message_id),
                status: DeliveryStatus::Queued,
                segments_billed: Some(1),
            }),
            Scenario::ClientError if b.misclassify_client_error => {
                Err(AdapterError::transient("400"))
            }
            Scenario::ClientError => Err(AdapterError::rejected("400")),
            Scenario::ServerError => Err(AdapterError::transient("503")),
            Scenario::Stall => {
                tokio::time::sleep(Duration::from_millis(request.deadline_ms)).await;
                Err(AdapterError::Timeout {
                    message: "no answer".into(),
                })
            }
            Scenario::Malformed => {
                let parsed = serde_json::from_str::<serde_json::Value>("{not json");
                if b.panic_on_malformed {
                    parsed.expect("provider answers JSON");
                }
                Err(AdapterError::transient("undecodable provider answer"))
            }
        }
    }

    fn parse_callback(&self, request: &CallbackRequest) -> Result<CallbackOutcome, CallbackError> {
        let b = self.0;
        if b.no_secret && !b.trust_without_secret {
            return Err(CallbackError::Unsupported);
        }
        if request.header("x-sig") != Some("good") && !b.trust_callbacks && !b.no_secret {
            return Err(CallbackError::Signature {
                message: "bad signature".into(),
            });
        }
        if request.header("x-status") == Some("fermenting") && !b.guess_unknown_status {
            return Ok(CallbackOutcome {
                updates: Vec::new(),
                reply: None,
            });
        }
        Ok(CallbackOutcome {
            updates: vec![StatusUpdate {
                provider_message_id: request.body.clone(),
                status: DeliveryStatus::Delivered,
                at: None,
                error_code: None,
                detail: None,
            }],
            reply: None,
        })
    }
}

struct Harness(Behaviour);

#[async_trait::async_trait]
impl ConformanceHarness for Harness {
    type Adapter = Memory;

    async fn adapter(&self, scenario: Scenario) -> Memory {
        Memory(Behaviour { scenario, ..self.0 })
    }

    fn request(&self, message_id: &str) -> SendRequest {
        SendRequest {
            message_id: message_id.into(),
            phone: "+15550001111".into(),
            text: "Confirmation code: 1234".into(),
            code: "1234".into(),
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
        let sig = if valid { "good" } else { "forged" };
        Some(CallbackRequest {
            method: "POST".into(),
            url: "http://127.0.0.1/v1/callbacks/conformance".into(),
            headers: vec![("x-sig".into(), sig.into())],
            body: "mem-1".into(),
            received_at: time::OffsetDateTime::UNIX_EPOCH,
        })
    }

    fn provider_errors(&self) -> Vec<ProviderErrorCase> {
        vec![
            ProviderErrorCase::new("2", "auth"),
            ProviderErrorCase::new("3", "account"),
        ]
    }

    async fn adapter_answering(&self, answer: &str) -> Option<Memory> {
        let provider_code = Some(answer.parse().ok()?);
        Some(Memory(Behaviour {
            provider_code,
            ..self.0
        }))
    }

    fn callback_with_unknown_status(&self) -> Option<CallbackRequest> {
        let mut callback = self.callback(true)?;
        callback
            .headers
            .push(("x-status".into(), "fermenting".into()));
        Some(callback)
    }

    async fn adapter_without_callback_secret(&self) -> Option<Memory> {
        Some(Memory(Behaviour {
            no_secret: true,
            ..self.0
        }))
    }
}

fn correct() -> Behaviour {
    Behaviour {
        scenario: Scenario::Accept,
        misclassify_client_error: false,
        panic_on_malformed: false,
        trust_callbacks: false,
        provider_code: None,
        misread_code_2: false,
        guess_unknown_status: false,
        no_secret: false,
        trust_without_secret: false,
    }
}

#[tokio::test]
async fn a_correct_adapter_passes() {
    run_conformance(&Harness(correct())).await;
}

#[tokio::test]
#[should_panic(expected = "conformance case `client_error` failed")]
async fn a_misclassified_client_error_fails() {
    run_conformance(&Harness(Behaviour {
        misclassify_client_error: true,
        ..correct()
    }))
    .await;
}

#[tokio::test]
#[should_panic(expected = "conformance case `malformed` failed: expected an answer, not a panic")]
async fn a_panic_on_malformed_input_fails() {
    run_conformance(&Harness(Behaviour {
        panic_on_malformed: true,
        ..correct()
    }))
    .await;
}

#[tokio::test]
#[should_panic(expected = "conformance case `callback_tampered` failed")]
async fn trusting_a_tampered_callback_fails() {
    run_conformance(&Harness(Behaviour {
        trust_callbacks: true,
        ..correct()
    }))
    .await;
}

#[tokio::test]
#[should_panic(
    expected = "conformance case `provider_error[0] `2`` failed: expected Err of kind `auth`"
)]
async fn a_misread_error_table_row_fails() {
    run_conformance(&Harness(Behaviour {
        misread_code_2: true,
        ..correct()
    }))
    .await;
}

#[tokio::test]
#[should_panic(expected = "conformance case `callback_unknown_status` failed")]
async fn guessing_an_unknown_callback_status_fails() {
    run_conformance(&Harness(Behaviour {
        guess_unknown_status: true,
        ..correct()
    }))
    .await;
}

#[tokio::test]
#[should_panic(expected = "conformance case `callback_no_secret_signed` failed")]
async fn accepting_callbacks_without_a_secret_fails() {
    run_conformance(&Harness(Behaviour {
        trust_without_secret: true,
        ..correct()
    }))
    .await;
}
