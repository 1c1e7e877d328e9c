//! Pruning the quota table at a pace: each `prune` walks a share of it, resuming
//! where the last one stopped, so that the whole table is looked at about once per
//! [`SWEEP_PERIOD_MS`].
//!
//! Quota rows have no expiry index (it cost an index update per send), so finding the
//! expired ones means walking the table in key order. Walking all of it at every
//! `prune_interval` read every page of a table that holds a day of phones, each time:
//! under load with a one-second interval that was an eighth of the writer thread's
//! time, most of it reading pages back from the file. Now the first walk after start
//! is whole (it learns the table's size) and every later call walks
//! `size × elapsed / SWEEP_PERIOD_MS` rows (at least one chunk). An expired row may
//! therefore stay up to one sweep period longer on disk; it counts nothing meanwhile,
//! since a row only holds send times and every window is judged against `now`.

use super::{PRUNE_CHUNK, backend};
use crate::store::{Millis, StoreError};
use rusqlite::{Connection, OptionalExtension, params};

/// How long one walk over the whole quota table should take: ten minutes.
pub(super) const SWEEP_PERIOD_MS: i64 = 10 * 60 * 1000;

/// Where the walk is, between calls.
#[derive(Debug, Default)]
pub(super) struct Sweep {
    /// The last key looked at (`""`: the start of the table).
    after: String,
    /// Rows looked at so far in the current walk.
    walked: i64,
    /// Rows of the last complete walk; `None` until one completed.
    size: Option<i64>,
    /// `now` of the previous call.
    last: Option<Millis>,
}

/// What one step of the walk should do next.
pub(super) struct Step {
    /// The walk resumes after this key.
    pub(super) after: String,
    /// Rows this call may still look at (`None`: to the end of the table).
    pub(super) budget: Option<i64>,
}

impl Sweep {
    /// Starts a call at `now`: where to resume and how far to go.
    pub(super) fn begin(&mut self, now: Millis) -> Step {
        let elapsed = self.last.map_or(0, |l| (now - l).max(0));
        self.last = Some(now);
        let budget = self.size.map(|size| {
            let share = i128::from(size) * i128::from(elapsed) / i128::from(SWEEP_PERIOD_MS);
            i64::try_from(share).unwrap_or(i64::MAX).max(PRUNE_CHUNK)
        });
        Step {
            after: self.after.clone(),
            budget,
        }
    }

    /// Records one chunk: `walked` rows looked at, ending at `last` (`None`: the table
    /// ended, and the next walk starts over at its beginning).
    pub(super) fn advance(&mut self, walked: i64, last: Option<String>) {
        self.walked += walked;
        match last {
            Some(k) => self.after = k,
            None => {
                self.size = Some(self.walked);
                self.walked = 0;
                self.after.clear();
            }
        }
    }
}

/// One chunk of the walk on the writer's connection: deletes the expired rows among
/// the next [`PRUNE_CHUNK`] keys after `from`. Answers the rows deleted, the rows
/// looked at and the last key (`None` when the table ended within the chunk).
pub(super) fn chunk(
    c: &Connection,
    from: &str,
    now: Millis,
) -> Result<(usize, i64, Option<String>), StoreError> {
    let last: Option<String> = c
        .prepare_cached("SELECT key FROM quotas WHERE key > ?1 ORDER BY key LIMIT 1 OFFSET ?2")
        .map_err(backend)?
        .query_row(params![from, PRUNE_CHUNK - 1], |r| r.get(0))
        .optional()
        .map_err(backend)?;
    let walked = match &last {
        Some(_) => PRUNE_CHUNK,
        None => c
            .prepare_cached("SELECT count(*) FROM quotas WHERE key > ?1")
            .map_err(backend)?
            .query_row(params![from], |r| r.get(0))
            .map_err(backend)?,
    };
    let deleted = c
        .prepare_cached(
            "DELETE FROM quotas WHERE key > ?1 AND (?2 IS NULL OR key <= ?2) AND expires_at <= ?3",
        )
        .map_err(backend)?
        .execute(params![from, last, now])
        .map_err(backend)?;
    Ok((deleted, walked, last))
}

#[cfg(test)]
mod tests;
