//! What a name in a location's `channels` (or a callback path) stands for: a configured
//! `[[adapters]]` instance, or a connection made through the API (`conn_…`), whose live
//! instance is built on first use. The last outcome of each channel is kept in
//! [`ChannelBoard`] (`adapters::board`).

use crate::adapters::AdapterInstance;
use crate::connections::ConnectionError;
use crate::state::AppState;
use std::sync::Arc;

pub use crate::adapters::board::{ChannelBoard, LastOutcome};
pub use crate::connections::is_connection;

/// The instance `name` stands for now; `Ok(None)` if nothing has that name.
pub async fn resolve(
    state: &AppState,
    name: &str,
) -> Result<Option<Arc<dyn AdapterInstance>>, ConnectionError> {
    if let Some(configured) = state.adapters.get(name) {
        return Ok(Some(configured.clone()));
    }
    if !is_connection(name) {
        return Ok(None);
    }
    state.connections.instance(name, state.now_ms()).await
}
