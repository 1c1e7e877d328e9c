//! The cases that depend on the provider's own vocabulary: its error table (each
//! `(provider answer, expected kind)` row the harness lists is sent and checked), a
//! correctly signed callback with a status the adapter does not know, and callbacks to
//! an instance that has no callback secret. Each is skipped when the harness does not
//! provide it (the default methods return nothing).

use super::ConformanceHarness;
use super::cases::{DEADLINE_MS, bounded, fail, instance_of};
use crate::{AdapterError, CallbackError};

/// Every row of the harness's error table must map to the kind it names.
pub(super) async fn provider_errors<H: ConformanceHarness>(harness: &H) {
    for (i, row) in harness.provider_errors().into_iter().enumerate() {
        let case = format!("provider_error[{i}] `{}`", row.answer);
        if !AdapterError::KINDS.contains(&row.expected_kind) {
            fail(
                &case,
                &format!("an expected kind among {:?}", AdapterError::KINDS),
                row.expected_kind,
            );
        }
        let Some(adapter) = harness.adapter_answering(&row.answer).await else {
            fail(
                &case,
                "ConformanceHarness::adapter_answering to give an adapter for each row",
                "None",
            );
        };
        let inst = instance_of(adapter);
        let mut request = harness.request(&format!("msg_conformance_error_{i}"));
        request.deadline_ms = DEADLINE_MS;
        match bounded(&case, DEADLINE_MS, inst.send(&request)).await {
            Err(e) if e.kind() == row.expected_kind => {}
            other => fail(
                &case,
                &format!("Err of kind `{}`", row.expected_kind),
                other,
            ),
        }
    }
}

/// A signed callback whose status the adapter does not know is neither a signature
/// failure nor a guess: no update (ignored), or `Malformed`.
pub(super) async fn unknown_status<H: ConformanceHarness>(harness: &H) {
    let Some(callback) = harness.callback_with_unknown_status() else {
        return;
    };
    let case = "callback_unknown_status";
    let inst = instance_of(harness.adapter(super::Scenario::Accept).await);
    match inst.parse_callback(&callback) {
        Ok(outcome) if outcome.updates.is_empty() => {}
        Err(CallbackError::Malformed { .. }) => {}
        other => fail(
            case,
            "Ok with no update (ignored) or Err(Malformed): an unknown status is not mapped \
             onto a known one",
            other,
        ),
    }
}

/// An instance without a callback secret accepts no callback, not even one signed with
/// the secret another instance has: `Unsupported` or `Signature`.
pub(super) async fn no_secret<H: ConformanceHarness>(harness: &H) {
    let Some(adapter) = harness.adapter_without_callback_secret().await else {
        return;
    };
    let inst = instance_of(adapter);
    for (case, callback) in [
        ("callback_no_secret_signed", harness.callback(true)),
        ("callback_no_secret_tampered", harness.callback(false)),
    ] {
        let Some(callback) = callback else { continue };
        match inst.parse_callback(&callback) {
            Err(CallbackError::Unsupported | CallbackError::Signature { .. }) => {}
            other => fail(case, "Err(Unsupported | Signature)", other),
        }
    }
}
