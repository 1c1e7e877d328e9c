//! Group commit for [`super::SqliteStore`]: one writer thread owns the connection and
//! runs every queued operation of a burst inside ONE SQLite transaction.
//!
//! Each commit in WAL mode costs a WAL append, a lock round and sometimes a checkpoint;
//! under load that dominated the send path (two commits per message). Here the thread
//! takes the first queued operation, drains what else is queued (up to [`MAX_BATCH`]),
//! runs them one after the other inside `BEGIN IMMEDIATE`, commits once, and only then
//! answers every caller. Operations run serially on one connection, so each stays
//! atomic and isolated exactly as it would in a transaction of its own.
//!
//! An operation that fails (or panics) must not leave half its writes behind, nor take
//! the others' with it. Rather than a `SAVEPOINT` around every operation (which copies
//! every page an operation first touches into the statement journal: 7 % of the
//! gateway's CPU under load, for errors that almost never happen), the batch is rolled
//! back as a whole and its operations are run again one at a time, each in its own
//! transaction: the same result as if they had never been grouped. Operations are
//! therefore `FnMut`: they may run twice, and must have no effect outside the
//! connection. A panicking operation is not run again. If a commit fails, every
//! operation of that commit gets the error.
//!
//! Hand-written because no maintained crate offers group commit for `rusqlite`
//! (`tokio-rusqlite` and `deadpool-sqlite` run one closure per call, one commit each).

use super::backend;
use super::checkpoint::{self, Nudge};
use crate::store::StoreError;
use rusqlite::Connection;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::oneshot;

/// Most operations one transaction carries; bounds how long a burst holds its callers.
const MAX_BATCH: usize = 256;

/// One queued operation and the caller waiting for it.
trait Op: Send {
    /// Runs the operation (again) inside the current transaction; false if it failed
    /// or panicked, so the batch must not commit its writes.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Answers the caller with its last result, or with `error` (the batch's) if given
    /// and the operation itself succeeded.
    fn deliver(self: Box<Self>, error: Option<&StoreError>);
}

/// An [`Op`] for a closure returning `R`.
struct Queued<R, F> {
    f: F,
    /// The last run's result; `None` until run.
    result: Option<Result<R, StoreError>>,
    /// Set when `f` panicked: it is never run again.
    panicked: bool,
    reply: oneshot::Sender<Result<R, StoreError>>,
}

impl<R, F> Op for Queued<R, F>
where
    R: Send + 'static,
    F: FnMut(&Connection) -> Result<R, StoreError> + Send + 'static,
{
    fn run(&mut self, conn: &Connection) -> bool {
        if self.panicked {
            return false;
        }
        match catch_unwind(AssertUnwindSafe(|| (self.f)(conn))) {
            Ok(r) => {
                let ok = r.is_ok();
                self.result = Some(r);
                ok
            }
            Err(_) => {
                self.panicked = true;
                self.result = Some(Err(StoreError::Backend(
                    "a store operation panicked (a bug); its writes were undone".into(),
                )));
                false
            }
        }
    }

    fn deliver(self: Box<Self>, error: Option<&StoreError>) {
        let out = match (error, self.result) {
            (_, Some(Err(e))) => Err(e),
            (Some(e), _) => Err(dup(e)),
            (None, Some(r)) => r,
            (None, None) => Err(StoreError::Backend(
                "a store operation was never run (a bug)".into(),
            )),
        };
        // The caller may have gone away (cancelled request); nothing to do.
        let _ = self.reply.send(out);
    }
}

/// The handle callers queue operations through; cloneable, the thread stops and closes
/// the connection when the last clone is dropped.
#[derive(Debug, Clone)]
pub(super) struct Writer {
    /// Shared so that dropping the last clone joins the thread.
    inner: Arc<Inner>,
}

/// The queue's sending end and the thread to join.
struct Inner {
    /// `None` only while dropping.
    jobs: Option<mpsc::Sender<Box<dyn Op>>>,
    /// `None` only while dropping.
    thread: Option<JoinHandle<()>>,
    /// The checkpoint thread, which ends after the writer thread; `None` only while
    /// dropping.
    checkpoints: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").finish_non_exhaustive()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the queue ends the thread after its current batch; joining it makes
        // sure the connection is closed when the last store handle is gone.
        self.jobs.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        // The writer thread dropped its nudge on the way out, which ends this one; its
        // connection closes last and leaves the database file complete, WAL copied.
        if let Some(t) = self.checkpoints.take() {
            let _ = t.join();
        }
    }
}

impl Writer {
    /// Starts the writer thread, which owns `conn` from now on, and its checkpoint
    /// thread (`sqlite/checkpoint.rs`) on a second connection to `path`.
    pub(super) fn spawn(
        conn: Connection,
        path: &Path,
        busy_timeout: Duration,
    ) -> Result<Self, StoreError> {
        let (nudge, checkpoints) =
            checkpoint::spawn(&conn, path, busy_timeout, checkpoint::RESTART_FRAMES)?;
        let (tx, rx) = mpsc::channel::<Box<dyn Op>>();
        let thread = std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || serve(&conn, &rx, &nudge))
            .map_err(|e| StoreError::Backend(format!("cannot start the store writer: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                jobs: Some(tx),
                thread: Some(thread),
                checkpoints: Some(checkpoints),
            }),
        })
    }

    /// Runs `f` inside the next batch and answers after that batch has committed.
    /// `f` must not begin, commit or roll back transactions itself, and may be run
    /// twice (see the module docs).
    pub(super) async fn run<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnMut(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let op: Box<dyn Op> = Box::new(Queued {
            f,
            result: None,
            panicked: false,
            reply,
        });
        let sent = self
            .inner
            .jobs
            .as_ref()
            .map(|jobs| jobs.send(op).is_ok())
            .unwrap_or(false);
        if !sent {
            return Err(StoreError::Backend("the store writer has stopped".into()));
        }
        answer.await.map_err(|_| {
            StoreError::Backend("the store writer stopped before answering (a bug)".into())
        })?
    }
}

/// The thread: batch after batch until every handle is dropped.
fn serve(conn: &Connection, jobs: &mpsc::Receiver<Box<dyn Op>>, nudge: &Nudge) {
    let mut batch: Vec<Box<dyn Op>> = Vec::with_capacity(MAX_BATCH);
    while let Ok(first) = jobs.recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        run_batch(conn, &mut batch);
        nudge.committed(conn);
    }
}

fn exec(conn: &Connection, sql: &str) -> Result<(), StoreError> {
    conn.prepare_cached(sql)
        .and_then(|mut s| s.execute([]))
        .map(|_| ())
        .map_err(backend)
}

/// Leaves no transaction open, whatever state an error left the connection in.
fn rollback(conn: &Connection) {
    if !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
}

/// Runs `ops` in one transaction; if one fails, undoes the batch and runs each alone.
fn run_batch(conn: &Connection, ops: &mut Vec<Box<dyn Op>>) {
    if let Err(e) = exec(conn, "BEGIN IMMEDIATE") {
        rollback(conn);
        for op in ops.drain(..) {
            op.deliver(Some(&e));
        }
        return;
    }
    // Stops at the first failure: the rest run alone below anyway.
    let all_ok = ops.iter_mut().all(|op| op.run(conn));
    if all_ok {
        let committed = exec(conn, "COMMIT");
        if committed.is_err() {
            rollback(conn);
        }
        for op in ops.drain(..) {
            op.deliver(committed.as_ref().err());
        }
        return;
    }
    rollback(conn);
    for mut op in ops.drain(..) {
        let outcome = exec(conn, "BEGIN IMMEDIATE").and_then(|()| {
            if op.run(conn) {
                exec(conn, "COMMIT")
            } else {
                // Its own error is what the caller gets; nothing of it stays.
                exec(conn, "ROLLBACK")
            }
        });
        if outcome.is_err() {
            rollback(conn);
        }
        op.deliver(outcome.as_ref().err());
    }
}

/// A copy of `e` for each caller of a failed batch (`StoreError` is not `Clone`).
fn dup(e: &StoreError) -> StoreError {
    match e {
        StoreError::Busy(m) => StoreError::Busy(m.clone()),
        StoreError::Backend(m) => StoreError::Backend(m.clone()),
        StoreError::Corrupt { ns, key, message } => StoreError::Corrupt {
            ns,
            key: key.clone(),
            message: message.clone(),
        },
    }
}

#[cfg(test)]
mod tests;
