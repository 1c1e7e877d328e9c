//! The SDK's conformance battery against the simulator.

use crate::support::{request, settings};
use adapter_smpp_core::SmppAdapter;
use gateway_sdk::conformance::{ConformanceHarness, Scenario, run_conformance};
use gateway_sdk::{Adapter, CallbackRequest, CreateContext, SendRequest, TextEncoding};
use smsc_sim::{Account, Smsc, Submit};

/// One simulator per scenario, alive for the whole battery.
struct Harness {
    smscs: Vec<(Scenario, Smsc)>,
}

#[gateway_sdk::async_trait]
impl ConformanceHarness for Harness {
    type Adapter = SmppAdapter;

    async fn adapter(&self, scenario: Scenario) -> SmppAdapter {
        let smsc = &self
            .smscs
            .iter()
            .find(|(s, _)| *s == scenario)
            .expect("smsc")
            .1;
        let ctx = CreateContext {
            instance: "smpp-main".into(),
            data_dir: String::new(),
            public_url: None,
        };
        SmppAdapter::create(settings(smsc, "s3cret"), ctx).expect("valid settings")
    }

    fn request(&self, message_id: &str) -> SendRequest {
        request(message_id, "Code 4821", TextEncoding::Gsm7)
    }

    fn callback(&self, _valid: bool) -> Option<CallbackRequest> {
        None // receipts arrive on the SMPP session, not as callbacks.
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passes_the_sdk_conformance_battery() {
    let mut smscs = Vec::new();
    for (scenario, submit) in [
        (Scenario::Accept, Submit::Accept),
        (Scenario::ClientError, Submit::Refuse(0x0B)),
        (Scenario::ServerError, Submit::Refuse(0x08)),
        (Scenario::Stall, Submit::Stall),
        (Scenario::Malformed, Submit::Malformed),
    ] {
        let smsc = Smsc::start(Account::default()).await;
        smsc.set_submit(submit);
        smscs.push((scenario, smsc));
    }
    let harness = Harness { smscs };
    run_conformance(&harness).await;
    let accepted = harness.smscs[0].1.submitted().len();
    assert_eq!(accepted, 101, "accept + 100 concurrent");
}
