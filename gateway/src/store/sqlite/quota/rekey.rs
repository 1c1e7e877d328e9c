//! [`crate::store::Store::rekey`] for quota rows: moves a counter to its new key in
//! the writer's transaction, merging it with a counter already there.

use super::{Buckets, KEPT_MAX, State, decode};
use crate::store::StoreError;
use crate::store::sqlite::backend;
use rusqlite::{Connection, OptionalExtension, params};

/// A row's state and expiry.
fn load_row(c: &Connection, key: &str) -> Result<Option<(State, i64)>, StoreError> {
    let row: Option<(Vec<u8>, i64)> = c
        .prepare_cached("SELECT state, expires_at FROM quotas WHERE key = ?1")
        .map_err(backend)?
        .query_row(params![key], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
        .map_err(backend)?;
    row.map(|(bytes, exp)| Ok((decode(&bytes)?, exp)))
        .transpose()
}

/// The keys starting with `prefix` (a range of the primary key, not a table scan).
pub(in crate::store::sqlite) fn keys_with_prefix(
    c: &Connection,
    prefix: &str,
) -> Result<Vec<String>, StoreError> {
    let mut stmt = c
        .prepare_cached("SELECT key FROM quotas WHERE key >= ?1 AND key < ?1 || x'f4908080'")
        .map_err(backend)?;
    let keys = stmt
        .query_map(params![prefix], |r| r.get::<_, String>(0))
        .map_err(backend)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(backend)?;
    Ok(keys.into_iter().filter(|k| k.starts_with(prefix)).collect())
}

/// Moves each `(old, new)` counter; returns how many old rows there were.
pub(in crate::store::sqlite) fn rekey(
    c: &Connection,
    moves: &[(String, String)],
) -> Result<u64, StoreError> {
    let mut moved = 0;
    for (old, new) in moves {
        let Some((state, expires_at)) = load_row(c, old)? else {
            continue;
        };
        let (state, expires_at) = match load_row(c, new)? {
            None => (state, expires_at),
            Some((there, there_expires)) => {
                let window = window_of(&state, expires_at).max(window_of(&there, there_expires));
                (merge(state, there, window), expires_at.max(there_expires))
            }
        };
        c.prepare_cached(
            "INSERT INTO quotas (key, state, expires_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (key) DO UPDATE SET state = excluded.state, expires_at = excluded.expires_at",
        )
        .map_err(backend)?
        .execute(params![new, state.encode(), expires_at])
        .map_err(backend)?;
        c.prepare_cached("DELETE FROM quotas WHERE key = ?1")
            .map_err(backend)?
            .execute(params![old])
            .map_err(backend)?;
        moved += 1;
    }
    Ok(moved)
}

/// The key's longest window, from its row's expiry (newest event + window).
fn window_of(state: &State, expires_at: i64) -> i64 {
    let newest = state.recent.first().copied().unwrap_or(i64::MIN / 2);
    let bucket_end = state
        .buckets
        .as_ref()
        .map_or(i64::MIN / 2, |b| b.start + b.width * b.counts.len() as i64);
    expires_at.saturating_sub(newest.max(bucket_end)).max(0)
}

/// Events as `(time, count)`: the buckets if any (each moved to its last
/// millisecond, which only counts it longer), else the recent times.
fn events(state: &State) -> Vec<(i64, u32)> {
    match &state.buckets {
        Some(b) => b.live(i64::MIN).map(|(end, n)| (end - 1, n)).collect(),
        None => state.recent.iter().map(|t| (*t, 1)).collect(),
    }
}

/// One state counting the events of both: the newest times of both (exact answers
/// stay exact), and, if either counted in buckets, buckets over both.
pub(super) fn merge(a: State, b: State, window_ms: i64) -> State {
    let mut recent: Vec<i64> = a.recent.iter().chain(&b.recent).copied().collect();
    recent.sort_unstable_by(|x, y| y.cmp(x));
    recent.truncate(KEPT_MAX);
    let buckets: Option<Buckets> = if a.buckets.is_none() && b.buckets.is_none() {
        None
    } else {
        let mut all = events(&a);
        all.extend(events(&b));
        all.sort_unstable();
        let mut folded: Option<State> = None;
        for (at, n) in all {
            for _ in 0..n {
                folded = Some(State::record(folded, at, window_ms, u32::MAX));
            }
        }
        folded.and_then(|s| s.buckets)
    };
    State { recent, buckets }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_merged_state_counts_the_events_of_both() {
        let one = |times: &[i64], limit: u32| {
            times
                .iter()
                .fold(None, |s, t| Some(State::record(s, *t, 60_000, limit)))
                .unwrap()
        };
        let a = one(&[1_000, 3_000], 10);
        let b = one(&[2_000], 10);
        let m = merge(a, b, 60_000);
        assert_eq!(m.recent, vec![3_000, 2_000, 1_000]);
        assert_eq!(m.retry_after(4_000, 60_000, 3), Some(57_000));
        assert_eq!(m.retry_after(4_000, 60_000, 4), None);
        // With buckets (a limit above the exact range), the count is never below.
        let big: Vec<i64> = (0..100).map(|i| 1_000 + i).collect();
        let m = merge(one(&big, 1_000), one(&[5_000], 1_000), 60_000);
        assert!(m.retry_after(6_000, 60_000, 101).is_some());
        assert_eq!(m.retry_after(6_000, 60_000, 102), None);
    }
}
