//! Faithful fakes of the three providers the shipped adapters call, each an HTTP server
//! on `127.0.0.1:0`: [`twilio`] (Programmable Messaging), [`telegram`] (Gateway API) and
//! [`whatsapp`] (Cloud API), plus [`http_receiver`], an integrator's service behind the
//! generic HTTP adapter. [`control`] serves switches that make each fake refuse, fail, be
//! slow or report delivery, for trying fallback by hand. Each answers with its provider's documented shapes, refuses
//! what the provider refuses, records every request, and records a *violation* for
//! anything that shows the client spoke the protocol wrongly, so tests end by asserting
//! `violations()` is empty. They also produce the provider's signed callbacks.
//!
//! The fakes know only the wire format (their own serde shapes and signing code, written
//! from the providers' documentation), never an adapter's types: a misreading in an
//! adapter is not mirrored in its fake, adapters can take this crate as a
//! dev-dependency, and nothing here links an adapter library. [`server`] is the start-up
//! and recording scaffolding the three share; [`accounts`] the credentials the example
//! configuration and the `fake-providers` binary agree on.

pub mod accounts;
pub mod control;
pub mod http_receiver;
pub mod server;
pub mod telegram;
pub mod twilio;
pub mod whatsapp;

pub use accounts::{TELEGRAM_TOKEN, WHATSAPP_VERIFY_TOKEN, example_env};

/// The `gateway-sdk` version of this repository, which the bundled adapter libraries
/// report in `GET /v1/adapters` (`sdk_version`).
pub fn gateway_sdk_version() -> &'static str {
    gateway_sdk::SDK_VERSION
}
