//! The confirmation flows: sending a code through the location's channels, managed
//! verifications, confirmation tokens, idempotency and delivery reports.
//!
//! `send` holds the path every code takes (validate → location → phone → render →
//! channels → limits → route → record); `messages` and `verifications` are the two
//! ways in; `callbacks` brings delivery reports back.

pub mod channels;
pub mod observe;
pub mod pushed;
pub mod record;
pub mod reports;
pub mod route;
pub mod send;
pub mod tokens;
pub mod verifications;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a code is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Sign-in to the client's personal account.
    Login,
    /// Confirming the phone when an appointment is created.
    Booking,
}

impl Purpose {
    /// The API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Login => "login",
            Purpose::Booking => "booking",
        }
    }
}
