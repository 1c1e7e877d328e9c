//! The confirmation flows: sending a code through the location's channels, managed
//! verifications, confirmation tokens, idempotency and delivery reports.
//!
//! The path every code takes: `prepare` (location → phone → rules → render →
//! channels), then `send` (limits → `route` → record); `api::messages` and
//! `verifications` are the two ways in; `reports` applies delivery reports (from
//! `api::callbacks` or pushed by adapters, `pushed`); a failure reported soon after a
//! channel accepted the code sends it once more through the next channel (`late`
//! decides, `fallback` sends).

pub mod channels;
pub mod fallback;
pub mod late;
pub mod observe;
pub mod prepare;
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
