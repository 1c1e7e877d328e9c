//! Managed verifications: the gateway makes the code, sends it, and checks what the
//! client types back.
//!
//! A verification is pending until the right code is checked (approved), its checks
//! are used up (failed), its TTL passes (expired) or it is cancelled. One pending
//! verification exists per location, phone and purpose: asking again re-sends the same
//! code (re-derived from the stored salt, see `secret`) on the same verification,
//! within the resend cooldown and the send limit.
//!
//! `model` holds the stored record, its status and its public view; `start` creates or
//! re-sends; `check` decides a typed code in one atomic store update; `cancel` ends one
//! on the platform's request; `sweep` counts the expiries nobody asks about; `moved`
//! follows a message's late fallback to its new channel.

mod cancel;
mod check;
mod model;
mod moved;
mod start;
mod sweep;

pub use cancel::cancel;
pub use check::{check, check_by_subject};
pub use model::{Status, Verification, load, view};
pub use moved::moved;
pub use start::start;
pub use sweep::{WATCHED_EXPIRIES, count_due_expiries};
