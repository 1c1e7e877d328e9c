//! The conformance kit: a fixed battery an adapter must pass before it ships.
//!
//! An adapter's test implements [`ConformanceHarness`] (a fake provider on 127.0.0.1
//! that behaves per [`Scenario`], a valid request, a signed and a tampered callback)
//! and calls [`run_conformance`]. Every case drives the adapter through the real C ABI
//! table in-process ([`AbiInstance::in_process`](crate::abi::host::AbiInstance)), so
//! panics, encoding and exactly-once completion are exercised as the gateway sees them.
//! A failed case panics with its name and what was expected.

mod cases;

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
}

#[cfg(test)]
mod tests;
