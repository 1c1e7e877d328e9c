//! Connections in the store: one record per id (`Ns::Connection`) and lists of ids
//! (`Ns::ConnectionIndex`) for what the key/value interface cannot scan:
//! `location:<id>` (a location's own connections), `shared` (connections any location
//! may use), `all:<shard>` (every id, in 64 shards so no list grows past a few KiB at
//! 10,000 connections), and `users:<connection id>` (locations whose channels name it).
//!
//! Lists are only ever a superset of the truth: an id is added before its record is
//! written and removed after it is deleted, so a crash in between leaves an id whose
//! record is missing (readers skip it), never a record no list names.

use crate::store::{Millis, Ns, Store, StoreError, Write, get_json, to_json};

/// Shards of the `all:` list.
const SHARDS: u32 = 64;

/// The `all:` shard key of `id` (FNV-1a: stable across versions and platforms, which
/// `std`'s hasher is not).
pub fn shard_key(id: &str) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for b in id.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("all:{:02}", h % SHARDS)
}

/// Every `all:` shard key.
pub fn shard_keys() -> impl Iterator<Item = String> {
    (0..SHARDS).map(|i| format!("all:{i:02}"))
}

/// The list key of a connection's owner.
pub fn owner_key(location_id: Option<&str>) -> String {
    match location_id {
        Some(l) => format!("location:{l}"),
        None => "shared".to_owned(),
    }
}

/// The list key of the locations that use connection `id`.
pub fn users_key(id: &str) -> String {
    format!("users:{id}")
}

/// The ids under a list key.
pub async fn list(store: &dyn Store, key: &str, now: Millis) -> Result<Vec<String>, StoreError> {
    Ok(
        get_json::<Vec<String>>(store, Ns::ConnectionIndex, key, now)
            .await?
            .unwrap_or_default(),
    )
}

/// Adds `id` to the list at `key` (once).
pub async fn add(store: &dyn Store, key: &str, id: &str, now: Millis) -> Result<(), StoreError> {
    let f = |cur: Option<&str>| {
        let mut ids: Vec<String> = cur
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default();
        if ids.iter().any(|i| i == id) {
            return (Write::Keep, ());
        }
        ids.push(id.to_owned());
        (Write::Put(to_json(&ids), None), ())
    };
    store.update(Ns::ConnectionIndex, key, now, f).await
}

/// Removes `id` from the list at `key`; an emptied list is deleted.
pub async fn remove(store: &dyn Store, key: &str, id: &str, now: Millis) -> Result<(), StoreError> {
    let f = |cur: Option<&str>| {
        let Some(mut ids) = cur.and_then(|s| serde_json::from_str::<Vec<String>>(s).ok()) else {
            return (Write::Keep, ());
        };
        let before = ids.len();
        ids.retain(|i| i != id);
        let write = match ids.len() {
            0 => Write::Delete,
            n if n == before => Write::Keep,
            _ => Write::Put(to_json(&ids), None),
        };
        (write, ())
    };
    store.update(Ns::ConnectionIndex, key, now, f).await
}
