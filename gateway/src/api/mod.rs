//! Request handlers, one module per resource of the API contract. Handlers are thin:
//! the work is in `flows`.

pub mod adapters;
pub mod callbacks;
pub mod connections;
pub mod docs;
pub mod locations;
pub mod messages;
pub mod openapi;
pub mod preview;
pub mod readiness;
pub mod system;
pub mod verifications;
