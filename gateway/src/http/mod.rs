//! The HTTP surface: routes, middleware, and the mapping of every failure onto
//! problem+json.

pub mod busy;
pub mod deadline;
pub mod idempotency;
pub mod json;
pub mod middleware;
