//! [`Store::rekey`](crate::store::Store::rekey) for SQLite: the keys are read, renamed
//! on the caller's thread (the writer thread is the store's bottleneck), then moved
//! in one transaction; a key another process moved meanwhile is skipped.

use super::{SqliteStore, backend, quota};
use crate::store::{Ns, Rekey, Rename, StoreError};
use rusqlite::{Connection, params};

/// [`crate::store::Store::rekey`].
pub(super) async fn rekey(
    store: &SqliteStore,
    what: Rekey<'_>,
    rename: Rename<'_>,
) -> Result<u64, StoreError> {
    // Read the keys, rename them here (not on the writer thread), then move them
    // all in one transaction; a key another process moved meanwhile is skipped.
    let legacy = match what {
        Rekey::Quotas(prefix) => {
            let prefix = prefix.to_owned();
            store
                .with(move |c| quota::keys_with_prefix(c, &prefix))
                .await?
        }
        Rekey::Values(ns) => store.with(move |c| keys_of(c, ns)).await?,
    };
    let moves: Vec<(String, String)> = legacy
        .into_iter()
        .filter_map(|old| rename(&old).map(|new| (old, new)))
        .collect();
    if moves.is_empty() {
        return Ok(0);
    }
    match what {
        Rekey::Quotas(_) => store.with(move |c| quota::rekey(c, &moves)).await,
        Rekey::Values(ns) => store.with(move |c| move_values(c, ns, &moves)).await,
    }
}

/// Every key of a namespace.
fn keys_of(c: &Connection, ns: Ns) -> Result<Vec<String>, StoreError> {
    let mut stmt = c
        .prepare_cached("SELECT key FROM kv WHERE ns = ?1")
        .map_err(backend)?;
    stmt.query_map(params![ns.as_str()], |r| r.get::<_, String>(0))
        .map_err(backend)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(backend)
}

/// Moves values to new keys (one already there stays); returns how many moved.
fn move_values(c: &Connection, ns: Ns, moves: &[(String, String)]) -> Result<u64, StoreError> {
    let mut moved = 0;
    for (old, new) in moves {
        c.prepare_cached(
            "INSERT OR IGNORE INTO kv (ns, key, value, expires_at)
             SELECT ns, ?3, value, expires_at FROM kv WHERE ns = ?1 AND key = ?2",
        )
        .map_err(backend)?
        .execute(params![ns.as_str(), old, new])
        .map_err(backend)?;
        moved += c
            .prepare_cached("DELETE FROM kv WHERE ns = ?1 AND key = ?2")
            .map_err(backend)?
            .execute(params![ns.as_str(), old])
            .map_err(backend)? as u64;
    }
    Ok(moved)
}
