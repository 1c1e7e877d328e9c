//! The HTTP surface: routes, middleware, and the mapping of every failure onto
//! problem+json.

pub mod auth;
pub mod deadline;
pub mod json;
pub mod middleware;
pub mod routes;
