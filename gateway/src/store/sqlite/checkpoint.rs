//! WAL checkpoints on their own thread, so that the writer thread only writes.
//!
//! By default SQLite checkpoints inside the commit that pushes the WAL past 1000
//! pages: the one writer thread then copies those pages into the database file and
//! `fsync`s it while every queued send waits. Under load that was a sixth of the
//! writer's time, on the one thread that bounds the gateway's rate. Here the writer's
//! connection has `wal_autocheckpoint = 0` and this thread, with a connection of its
//! own, runs `PRAGMA wal_checkpoint(PASSIVE)` after commits (at most one every
//! [`PAUSE`]): a passive checkpoint copies what has been committed without taking the
//! write lock, so it runs on the other core while the writer goes on.
//!
//! A WAL that is always being appended to is never fully copied, and SQLite only
//! starts it over from the beginning once it is; so when it grows past
//! [`RESTART_FRAMES`] the thread asks the writer to checkpoint once itself, between
//! two batches: with no transaction open anywhere that checkpoint copies the rest
//! (the passive ones before it did most of the work) and the next batch starts the
//! file over. Sends pause for that one copy, and the WAL stays bounded under any
//! load. (A `wal_checkpoint(RESTART)` from this thread would do the same in
//! principle, but it waits for the write lock in the busy handler's sleeps, and a
//! writer that commits back to back takes the lock again every time: measured, the
//! WAL kept growing.)
//!
//! Durability is unchanged: a commit is in the WAL before its callers are answered,
//! whether or not a checkpoint has copied it yet (`synchronous = NORMAL`).
//!
//! Hand-written because it is SQLite's own mechanism driven from a thread: no crate
//! wraps it.

use super::backend;
use crate::store::StoreError;
use rusqlite::Connection;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Least time between two checkpoints: enough commits accumulate for each to be
/// worth its `fsync`, and an idle gateway's thread sleeps.
const PAUSE: Duration = Duration::from_millis(100);

/// WAL length (in frames, a page each) past which the WAL is started over: 65536
/// pages of 4 KiB, 256 MiB. Each restart pauses sends for one copy and `fsync`; at
/// 64 MiB that came every half second under load (random quota keys write three or
/// four pages per send) and showed in the p99 (30–37 ms against 22–27 ms here).
pub(super) const RESTART_FRAMES: i64 = 65_536;

/// The writer's side: tells the thread that something was committed, and learns
/// from it when the WAL must be started over.
#[derive(Debug)]
pub(super) struct Nudge {
    /// Wakes the thread; one pending nudge is enough.
    wake: SyncSender<()>,
    /// Set by the thread when the WAL has grown past its bound.
    long: Arc<AtomicBool>,
}

impl Nudge {
    /// After each commit of the writer, on its connection `conn`, with no transaction
    /// open. Never blocks on the thread; checkpoints here only when the WAL is long.
    pub(super) fn committed(&self, conn: &Connection) {
        if self.long.swap(false, Ordering::Relaxed) {
            checkpoint(conn, "PASSIVE");
        }
        match self.wake.try_send(()) {
            Ok(()) | Err(TrySendError::Full(())) | Err(TrySendError::Disconnected(())) => {}
        }
    }
}

/// Opens the checkpointer's connection to `path` and starts its thread; it stops when
/// the [`Nudge`] is dropped. Turns off the automatic checkpoints of `writer`. The WAL
/// is started over once it is `restart_frames` long ([`RESTART_FRAMES`]).
pub(super) fn spawn(
    writer: &Connection,
    path: &Path,
    busy_timeout: Duration,
    restart_frames: i64,
) -> Result<(Nudge, JoinHandle<()>), StoreError> {
    let conn = Connection::open(path).map_err(|e| {
        StoreError::Backend(format!(
            "cannot open `{}` for checkpoints: {e}",
            path.display()
        ))
    })?;
    conn.busy_timeout(busy_timeout).map_err(backend)?;
    writer
        .pragma_update(None, "wal_autocheckpoint", 0)
        .map_err(backend)?;
    let (wake, rx) = mpsc::sync_channel::<()>(1);
    let long = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&long);
    let thread = std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || serve(&conn, &rx, &flag, restart_frames))
        .map_err(|e| StoreError::Backend(format!("cannot start the checkpoint thread: {e}")))?;
    Ok((Nudge { wake, long }, thread))
}

/// One checkpoint after each burst of commits, then a pause, until the writer is gone.
fn serve(conn: &Connection, nudges: &mpsc::Receiver<()>, long: &AtomicBool, restart_frames: i64) {
    while nudges.recv().is_ok() {
        if checkpoint(conn, "PASSIVE") >= restart_frames {
            long.store(true, Ordering::Relaxed);
        }
        let until = Instant::now() + PAUSE;
        loop {
            match nudges.recv_timeout(until.saturating_duration_since(Instant::now())) {
                // Commits during the pause are covered by the next checkpoint.
                Ok(()) => continue,
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }
}

/// Runs one checkpoint in `mode`; answers the WAL's length in frames (0 when it could
/// not tell). A failure is left for the next one: the WAL keeps every commit until a
/// checkpoint succeeds, so nothing is lost, and the writer reports disk errors itself.
fn checkpoint(conn: &Connection, mode: &str) -> i64 {
    conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| {
        r.get::<_, i64>(1)
    })
    .unwrap_or_else(|e| {
        tracing::warn!(error = %e, mode, "WAL checkpoint failed; the next one tries again");
        0
    })
}

#[cfg(test)]
mod tests;
