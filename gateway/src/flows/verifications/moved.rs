//! A verification following its message to another channel (a late fallback), so that
//! its view names the channel the code actually went through.

use super::model::Verification;
use crate::state::AppState;
use crate::store::{Ns, StoreError, Write, to_json};

/// Notes that message `message_id` of verification `id` now goes through `adapter` on
/// `channel`; nothing changes if the verification has sent another message since.
pub async fn moved(
    state: &AppState,
    id: &str,
    message_id: &str,
    adapter: &str,
    channel: &str,
) -> Result<(), StoreError> {
    let follow = |cur: Option<&str>| match Verification::parse(cur) {
        Some(mut v) if v.message_id == message_id => {
            v.adapter = adapter.to_owned();
            v.channel = channel.to_owned();
            (Write::Put(to_json(&v), v.keep_until()), ())
        }
        _ => (Write::Keep, ()),
    };
    state
        .store
        .update(Ns::Verification, id, state.now_ms(), follow)
        .await
}
