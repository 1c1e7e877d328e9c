//! Schema migration 2 for the quota rows: the event log of migration 1
//! (`quota_events`, one row per send) becomes one state per key (see `quota.rs`).

use super::{EXACT_MAX, State, save};
use crate::store::StoreError;
use crate::store::sqlite::backend;
use rusqlite::Connection;

/// Schema migration 2: turns the event rows of `quota_events` into one state per key,
/// then drops the table. Keys with at most [`EXACT_MAX`] live events keep them all
/// (exact); keys with more are counted in buckets of their longest window.
pub(in crate::store::sqlite) fn migrate_events(c: &Connection) -> Result<(), StoreError> {
    let mut stmt = c
        .prepare("SELECT key, at, expires_at FROM quota_events ORDER BY key, at")
        .map_err(backend)?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })
        .map_err(backend)?;
    let mut current: Option<(String, Vec<(i64, i64)>)> = None;
    let flush = |key: String, events: Vec<(i64, i64)>| -> Result<(), StoreError> {
        let window = events.iter().map(|(at, exp)| exp - at).max().unwrap_or(0);
        let limit = if events.len() <= EXACT_MAX {
            EXACT_MAX as u32
        } else {
            u32::MAX
        };
        let state = events.iter().fold(None, |s, (at, _)| {
            Some(State::record(s, *at, window, limit))
        });
        match state {
            Some(state) => save(c, &key, &state, window),
            None => Ok(()),
        }
    };
    for row in rows {
        let (key, at, exp) = row.map_err(backend)?;
        match &mut current {
            Some((k, events)) if *k == key => events.push((at, exp)),
            _ => {
                if let Some((k, events)) = current.take() {
                    flush(k, events)?;
                }
                current = Some((key, vec![(at, exp)]));
            }
        }
    }
    if let Some((k, events)) = current {
        flush(k, events)?;
    }
    drop(stmt);
    c.execute_batch("DROP TABLE quota_events").map_err(backend)
}
