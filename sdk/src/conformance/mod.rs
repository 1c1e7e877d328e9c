//! The conformance kit: a fixed battery an adapter must pass before it ships.
//!
//! An adapter's test implements [`ConformanceHarness`] (a fake provider on 127.0.0.1
//! that behaves per [`Scenario`], a valid request, a signed and a tampered callback)
//! and calls [`run_conformance`]. Every case drives the adapter through the real C ABI
//! table in-process ([`AbiInstance::in_process`](crate::abi::host::AbiInstance)), so
//! panics, encoding and exactly-once completion are exercised as the gateway sees them.
//! A failed case panics with its name and what was expected. The provider-specific
//! cases (error table, unknown callback status, no callback secret) run when the
//! harness provides them.

mod cases;
mod tables;

pub use cases::run_conformance;

/// What the fake provider should do for one conformance case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Accept the message and return a provider id.
    Accept,
    /// Refuse it permanently (HTTP 4xx: bad number, bad credentials, …).
    ClientError,
    /// Fail temporarily (HTTP 5xx or 429).
    ServerError,
    /// Never answer (the adapter must give up at its deadline).
    Stall,
    /// Answer with a body the adapter cannot decode.
    Malformed,
}

/// One row of a provider's error table: what the fake provider answers, and the
/// [`AdapterError::kind`](crate::AdapterError::kind) the adapter must map it to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderErrorCase {
    /// The answer, in the harness's own terms (what its fake understands): e.g.
    /// `"200 {\"error\":{\"code\":2}}"`, or just a provider error code.
    pub answer: String,
    /// `rejected`, `unreachable`, `transient`, `throttled`, `auth`, `account`, `config`
    /// or `timeout`.
    pub expected_kind: &'static str,
}

impl ProviderErrorCase {
    /// A row: `answer` must map to `expected_kind`.
    pub fn new(answer: impl Into<String>, expected_kind: &'static str) -> Self {
        Self {
            answer: answer.into(),
            expected_kind,
        }
    }
}

/// How the kit gets adapters, requests and callbacks for the battery.
#[async_trait::async_trait]
pub trait ConformanceHarness: Send + Sync {
    /// The adapter under test.
    type Adapter: crate::Adapter;
    /// A fresh instance whose provider (a fake server on 127.0.0.1) behaves per `scenario`.
    async fn adapter(&self, scenario: Scenario) -> Self::Adapter;
    /// A valid request the provider accepts, with this message id (the kit sets deadline_ms).
    fn request(&self, message_id: &str) -> crate::SendRequest;
    /// A callback as the provider posts it: correctly signed if `valid`, tampered otherwise.
    /// `None` if the adapter takes no callbacks.
    fn callback(&self, valid: bool) -> Option<crate::CallbackRequest>;

    /// The provider's error table: every documented error answer and the kind it maps
    /// to. List each code the provider documents, including those it sends with HTTP
    /// 200 (many aggregators answer `200` with an error code in the body). Empty by
    /// default (the case is skipped).
    fn provider_errors(&self) -> Vec<ProviderErrorCase> {
        Vec::new()
    }

    /// A fresh instance whose fake provider answers every send with `answer` (a
    /// [`ProviderErrorCase::answer`]). Required when [`Self::provider_errors`] is not
    /// empty.
    async fn adapter_answering(&self, _answer: &str) -> Option<Self::Adapter> {
        None
    }

    /// A correctly signed callback whose status is one the provider might add later
    /// (`"status": "fermenting"`). `None` skips the case.
    fn callback_with_unknown_status(&self) -> Option<crate::CallbackRequest> {
        None
    }

    /// A fresh instance configured without a callback secret, if the adapter allows
    /// that; the kit checks it refuses [`Self::callback`]'s callbacks. `None` skips it.
    async fn adapter_without_callback_secret(&self) -> Option<Self::Adapter> {
        None
    }
}

#[cfg(test)]
mod tests;
