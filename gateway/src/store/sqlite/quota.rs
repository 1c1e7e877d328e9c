//! Quota state for [`super::SqliteStore`]: one row per key (`quotas`), holding what the
//! key's sliding windows need, instead of one row per event with two indexes over
//! them. A send used to insert a row into `quota_events` and into each of its two
//! indexes for every key it counted under; now it rewrites one small row per key.
//!
//! The state of a key (the exact semantics are in docs/limits.md):
//!
//! - **Recent times**: the times of the newest events, newest first, as many as the
//!   largest limit of the checks on the key (at most [`EXACT_MAX`]) plus one, so that
//!   a refund ([`State::without`]) leaves enough to stay exact. A check with a
//!   limit up to that is answered exactly: "is the window full" is "is the
//!   `limit`-th newest event inside it", and the retry time is when that event leaves
//!   it, the same answers an event log gives. Every default limit (cooldown 1, 5 and
//!   10 per phone, 20 per IP, 60 per location) is answered this way, and so is the
//!   cooldown whatever the other limits are.
//! - **Buckets**, only when a limit on the key is larger: the longest window is cut
//!   into [`BUCKETS`] equal buckets, each holding a count. A window counts every bucket
//!   that overlaps it in full, so the count is never below the true number of events in
//!   the window: no window admits more than its limit, and a refusal may come up to one
//!   bucket (window / 64) early, with a retry time up to one bucket late.

use super::backend;
use crate::store::{Millis, QuotaCheck, QuotaDenied, StoreError};
use rusqlite::{Connection, OptionalExtension, params};

/// Largest limit answered from the recent event times.
pub(super) const EXACT_MAX: usize = 64;
/// Most event times a state keeps: one more than the largest exact limit.
const KEPT_MAX: usize = EXACT_MAX + 1;
/// Buckets the longest window of a key with a larger limit is cut into.
const BUCKETS: i64 = 64;

/// What one key's row holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct State {
    /// Newest event times, newest first (at most [`KEPT_MAX`]).
    recent: Vec<i64>,
    /// Counts per bucket, when a limit on the key is larger than [`EXACT_MAX`].
    buckets: Option<Buckets>,
}

/// Event counts; bucket `i` covers `[start + i·width, start + (i+1)·width)`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Buckets {
    /// Bucket length in milliseconds (at least 1).
    width: i64,
    /// Start of the oldest bucket kept.
    start: i64,
    /// Counts, oldest first.
    counts: Vec<u32>,
}

impl Buckets {
    /// `(end, count)` of every non-empty bucket ending after `since`, oldest first.
    fn live(&self, since: i64) -> impl Iterator<Item = (i64, u32)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .map(|(i, c)| (self.start + (i as i64 + 1) * self.width, *c))
            .filter(move |(end, c)| *end > since && *c > 0)
    }
}

impl State {
    /// Decodes a stored row (`None`: not a state this version wrote). The layout: the
    /// number of recent times (one byte), the times (i64), then, if buckets follow,
    /// their width and start (i64) and counts (u32); all little-endian.
    pub(super) fn decode(bytes: &[u8]) -> Option<State> {
        let (&n, rest) = bytes.split_first()?;
        let n = usize::from(n);
        let i64_at = |i: usize| -> Option<i64> {
            Some(i64::from_le_bytes(rest.get(i..i + 8)?.try_into().ok()?))
        };
        let recent = (0..n).map(|i| i64_at(i * 8)).collect::<Option<Vec<_>>>()?;
        let tail = rest.get(n * 8..)?;
        let buckets = if tail.is_empty() {
            None
        } else {
            let counts = tail.get(16..)?;
            if counts.len() % 4 != 0 {
                return None;
            }
            Some(Buckets {
                width: i64_at(n * 8)?.max(1),
                start: i64_at(n * 8 + 8)?,
                counts: counts
                    .chunks_exact(4)
                    .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
            })
        };
        Some(State { recent, buckets })
    }

    /// The stored form (see [`State::decode`]).
    pub(super) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + self.recent.len() * 8);
        // `record` keeps at most KEPT_MAX (65) times.
        out.push(self.recent.len().min(KEPT_MAX) as u8);
        for t in self.recent.iter().take(KEPT_MAX) {
            out.extend_from_slice(&t.to_le_bytes());
        }
        if let Some(b) = &self.buckets {
            out.extend_from_slice(&b.width.to_le_bytes());
            out.extend_from_slice(&b.start.to_le_bytes());
            for c in &b.counts {
                out.extend_from_slice(&c.to_le_bytes());
            }
        }
        out
    }

    /// When nothing of this state counts any more, given the key's longest window.
    pub(super) fn expires_at(&self, window_ms: i64) -> i64 {
        let newest = self.recent.first().copied().unwrap_or(i64::MIN / 2);
        let bucket_end = self
            .buckets
            .as_ref()
            .map_or(i64::MIN / 2, |b| b.start + b.width * b.counts.len() as i64);
        newest.max(bucket_end).saturating_add(window_ms)
    }

    /// Milliseconds until one more event fits a window of `window_ms` holding at most
    /// `limit` (at least 1) events, or `None` if it fits now.
    pub(super) fn retry_after(&self, now: i64, window_ms: i64, limit: u32) -> Option<i64> {
        let since = now - window_ms;
        let leaves = |at: i64| (at + window_ms - now).max(1);
        let limit = limit.max(1) as usize;
        if limit <= EXACT_MAX {
            // `recent` holds the newest min(largest limit, EXACT_MAX) + 1 > limit events
            // (one fewer after a refund).
            return self
                .recent
                .get(limit - 1)
                .copied()
                .filter(|at| *at > since)
                .map(leaves);
        }
        // Without buckets the key never held more than EXACT_MAX events: room.
        let b = self.buckets.as_ref()?;
        let total: u64 = b.live(since).map(|(_, c)| u64::from(c)).sum();
        if total < limit as u64 {
            return None;
        }
        // The wait until enough of the oldest buckets have left the window.
        let excess = total + 1 - limit as u64;
        let mut gone = 0;
        b.live(since)
            .find(|(_, c)| {
                gone += u64::from(*c);
                gone >= excess
            })
            .map(|(end, _)| leaves(end))
    }

    /// The state without one event counted at `at`, for a key whose checks' largest
    /// limit is `limit` (a refund). `recent` keeps the newest `limit + 1` times, so
    /// after one refund it still holds the `limit` newest and stays exact. When it was
    /// full an older event may have been forgotten; if refunds come faster than sends
    /// refill the spare slot, the forgotten event's place is taken by a copy of the
    /// oldest time kept, which is no earlier than it: the window then counts that
    /// event a little longer than the truth, never shorter, so a refund can never make
    /// a window admit more than its limit. Buckets lose one count from the bucket
    /// holding `at`.
    pub(super) fn without(mut self, at: i64, limit: u32) -> State {
        let cap = (limit.max(1) as usize).min(EXACT_MAX) + 1;
        if let Some(i) = self.recent.iter().position(|t| *t == at) {
            let was_full = self.recent.len() >= cap;
            self.recent.remove(i);
            if was_full && let Some(oldest) = self.recent.last().copied() {
                self.recent.push(oldest);
            }
        }
        if let Some(b) = &mut self.buckets
            && at >= b.start
        {
            let i = ((at - b.start) / b.width) as usize;
            if let Some(c) = b.counts.get_mut(i) {
                *c = c.saturating_sub(1);
            }
        }
        self
    }

    /// The state after one more event at `now`, for a key whose checks' longest window
    /// is `window_ms` and largest limit `limit`.
    pub(super) fn record(prev: Option<State>, now: i64, window_ms: i64, limit: u32) -> State {
        let since = now - window_ms;
        let prev = prev.unwrap_or_default();
        let mut recent = prev.recent.clone();
        recent.retain(|t| *t > since);
        // Newest first; a clock that stepped back still gets a sorted list.
        let at = recent
            .iter()
            .position(|t| *t <= now)
            .unwrap_or(recent.len());
        recent.insert(at, now);
        recent.truncate((limit.max(1) as usize).min(EXACT_MAX) + 1);
        if limit as usize <= EXACT_MAX {
            return State {
                recent,
                buckets: None,
            };
        }
        let width = ((window_ms + BUCKETS - 1) / BUCKETS).max(1);
        // Earlier events as (time, count). Moving an event later only counts it longer,
        // so buckets of another width are moved to their last millisecond.
        let mut events: Vec<(i64, u32)> = match prev.buckets {
            Some(b) => b.live(since).map(|(end, c)| (end - 1, c)).collect(),
            None => prev.recent.iter().map(|t| (*t, 1)).collect(),
        };
        events.push((now, 1));
        events.retain(|(t, _)| *t > since);
        let bucket = |t: i64| t.div_euclid(width) * width;
        let first = bucket(since + 1);
        let last = bucket(now);
        let mut counts = vec![0u32; ((last - first) / width + 1) as usize];
        for (t, c) in events {
            // A time after `now` (a clock that stepped back) goes in the newest bucket.
            let i = ((bucket(t.min(now)) - first) / width) as usize;
            counts[i] = counts[i].saturating_add(c);
        }
        let skip = counts.iter().take_while(|c| **c == 0).count();
        counts.drain(..skip);
        State {
            recent,
            buckets: Some(Buckets {
                width,
                start: first + skip as i64 * width,
                counts,
            }),
        }
    }
}

/// The key's stored state, if any (an unreadable row is an error, never a reset).
fn load(c: &Connection, key: &str) -> Result<Option<State>, StoreError> {
    let bytes: Option<Vec<u8>> = c
        .prepare_cached("SELECT state FROM quotas WHERE key = ?1")
        .map_err(backend)?
        .query_row(params![key], |r| r.get(0))
        .optional()
        .map_err(backend)?;
    bytes.map(|b| decode(&b)).transpose()
}

/// A stored row's state; an unreadable row is an error, never a reset.
fn decode(bytes: &[u8]) -> Result<State, StoreError> {
    State::decode(bytes).ok_or_else(|| StoreError::Corrupt {
        ns: "quotas",
        key: "(a quota key)".into(),
        message: "unreadable quota state".into(),
    })
}

/// Stores a key's state.
fn save(c: &Connection, key: &str, state: &State, window_ms: i64) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO quotas (key, state, expires_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (key) DO UPDATE SET state = excluded.state, expires_at = excluded.expires_at",
    )
    .map_err(backend)?
    .execute(params![key, state.encode(), state.expires_at(window_ms)])
    .map_err(backend)?;
    Ok(())
}

/// Distinct keys of `checks` in order of first appearance, with their longest window
/// and largest limit.
fn distinct_keys(checks: &[QuotaCheck]) -> Vec<(&str, i64, u32)> {
    let mut keys: Vec<(&str, i64, u32)> = Vec::with_capacity(checks.len());
    for check in checks {
        match keys.iter_mut().find(|k| k.0 == check.key) {
            Some(k) => {
                k.1 = k.1.max(check.window_ms);
                k.2 = k.2.max(check.limit);
            }
            None => keys.push((&check.key, check.window_ms, check.limit)),
        }
    }
    keys
}

/// [`crate::store::Store::quota_release`] inside the writer's transaction.
pub(super) fn release(c: &Connection, checks: &[QuotaCheck], at: Millis) -> Result<(), StoreError> {
    for (key, window_ms, limit) in distinct_keys(checks) {
        if let Some(state) = load(c, key)? {
            save(c, key, &state.without(at, limit), window_ms)?;
        }
    }
    Ok(())
}

/// [`crate::store::Store::quota_acquire`] inside the writer's transaction: reads each
/// distinct key once, answers every check, and only if all have room records one
/// event per key.
pub(super) fn acquire(
    c: &Connection,
    checks: &[QuotaCheck],
    now: Millis,
) -> Result<Result<(), QuotaDenied>, StoreError> {
    let mut keys: Vec<(&str, i64, u32, Option<State>)> = Vec::with_capacity(checks.len());
    for (key, window_ms, limit) in distinct_keys(checks) {
        keys.push((key, window_ms, limit, load(c, key)?));
    }
    // Every check is looked at: when several are used up, the caller must wait for the
    // slowest, or its retry would hit the next limit.
    let mut denied: Option<QuotaDenied> = None;
    for (index, check) in checks.iter().enumerate() {
        let retry_after_ms = if check.limit == 0 {
            Some(check.window_ms)
        } else {
            keys.iter()
                .find(|k| k.0 == check.key)
                .and_then(|k| k.3.as_ref())
                .and_then(|s| s.retry_after(now, check.window_ms, check.limit))
        };
        if let Some(ms) = retry_after_ms
            && denied.as_ref().is_none_or(|d| ms > d.retry_after_ms)
        {
            denied = Some(QuotaDenied {
                index,
                retry_after_ms: ms,
            });
        }
    }
    if let Some(d) = denied {
        return Ok(Err(d));
    }
    for (key, window_ms, limit, state) in keys {
        let next = State::record(state, now, window_ms, limit);
        save(c, key, &next, window_ms)?;
    }
    Ok(Ok(()))
}

mod migrate;
mod rekey;
pub(super) use migrate::migrate_events;
pub(super) use rekey::{keys_with_prefix, rekey};

#[cfg(test)]
mod tests;
