//! Group commit for [`super::SqliteStore`]: one writer thread owns the connection and
//! runs every queued operation of a burst inside ONE SQLite transaction.
//!
//! Each commit in WAL mode costs a WAL append, a lock round and sometimes a checkpoint;
//! under load that dominated the send path (two commits per message). Here the thread
//! takes the first queued operation, drains what else is queued (up to [`MAX_BATCH`]),
//! runs them one after the other inside `BEGIN IMMEDIATE`, each in its own `SAVEPOINT`
//! (an operation that fails is rolled back to its savepoint and gets its own error; the
//! others proceed), commits once, and only then answers every caller. Operations still
//! run serially on one connection, so each stays atomic and isolated exactly as it was
//! in a transaction of its own. If the commit fails, every operation of the batch gets
//! that error.
//!
//! Hand-written because no maintained crate offers group commit for `rusqlite`
//! (`tokio-rusqlite` and `deadpool-sqlite` run one closure per call, one commit each).

use super::backend;
use crate::store::StoreError;
use rusqlite::Connection;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use tokio::sync::oneshot;

/// Most operations one transaction carries; bounds how long a burst holds its callers.
const MAX_BATCH: usize = 256;

/// One queued operation. Given the connection (inside the batch transaction, within
/// its own savepoint), or the error that stopped the batch before it could run.
type Job = Box<dyn FnOnce(Result<&Connection, &StoreError>) -> Ran + Send>;

/// Answers one caller; gets the batch's error if the batch failed as a whole.
type Deliver = Box<dyn FnOnce(Option<&StoreError>) + Send>;

/// What a job reports after running: whether to keep its writes, and how to answer
/// its caller once the batch's outcome is known.
struct Ran {
    /// True when the operation succeeded and its savepoint is released, not rolled back.
    ok: bool,
    /// Sends the answer once the batch has committed or failed.
    deliver: Deliver,
}

/// The handle callers queue operations through; cloneable, the thread stops and closes
/// the connection when the last clone is dropped.
#[derive(Debug, Clone)]
pub(super) struct Writer {
    /// Shared so that dropping the last clone joins the thread.
    inner: Arc<Inner>,
}

/// The queue's sending end and the thread to join.
#[derive(Debug)]
struct Inner {
    /// `None` only while dropping.
    jobs: Option<mpsc::Sender<Job>>,
    /// `None` only while dropping.
    thread: Option<JoinHandle<()>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the queue ends the thread after its current batch; joining it makes
        // sure the connection is closed when the last store handle is gone.
        self.jobs.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Writer {
    /// Starts the writer thread, which owns `conn` from now on.
    pub(super) fn spawn(conn: Connection) -> Result<Self, StoreError> {
        let (tx, rx) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || serve(&conn, &rx))
            .map_err(|e| StoreError::Backend(format!("cannot start the store writer: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                jobs: Some(tx),
                thread: Some(thread),
            }),
        })
    }

    /// Runs `f` inside the next batch and answers after that batch has committed.
    /// `f` must not begin, commit or roll back transactions itself.
    pub(super) async fn run<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let result = match conn {
                Ok(c) => f(c),
                Err(e) => Err(dup(e)),
            };
            Ran {
                ok: result.is_ok(),
                deliver: Box::new(move |batch_error| {
                    let out = match (batch_error, result) {
                        (Some(e), Ok(_)) => Err(dup(e)),
                        (_, r) => r,
                    };
                    // The caller may have gone away (cancelled request); nothing to do.
                    let _ = reply.send(out);
                }),
            }
        });
        let sent = self
            .inner
            .jobs
            .as_ref()
            .map(|jobs| jobs.send(job).is_ok())
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
fn serve(conn: &Connection, jobs: &mpsc::Receiver<Job>) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while let Ok(first) = jobs.recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        run_batch(conn, batch.drain(..));
    }
}

fn exec(conn: &Connection, sql: &str) -> Result<(), StoreError> {
    conn.prepare_cached(sql)
        .and_then(|mut s| s.execute([]))
        .map(|_| ())
        .map_err(backend)
}

/// One transaction for the whole batch, one savepoint per job, one commit.
fn run_batch(conn: &Connection, batch: impl Iterator<Item = Job>) {
    let mut failed: Option<StoreError> = exec(conn, "BEGIN IMMEDIATE").err();
    let mut ran: Vec<Ran> = Vec::with_capacity(MAX_BATCH);
    for job in batch {
        if failed.is_none()
            && let Err(e) = exec(conn, "SAVEPOINT op")
        {
            failed = Some(e);
        }
        if let Some(e) = &failed {
            ran.push(job(Err(e)));
            continue;
        }
        // A panicking job drops its reply, so its caller gets an error; its writes are
        // rolled back like those of a job that failed.
        let outcome = catch_unwind(AssertUnwindSafe(|| job(Ok(conn))));
        let ok = outcome.as_ref().is_ok_and(|r| r.ok);
        let end = if ok {
            exec(conn, "RELEASE op")
        } else {
            exec(conn, "ROLLBACK TO op").and_then(|()| exec(conn, "RELEASE op"))
        };
        if let Err(e) = end {
            failed = Some(e);
        }
        if let Ok(r) = outcome {
            ran.push(r);
        }
    }
    if failed.is_none()
        && let Err(e) = exec(conn, "COMMIT")
    {
        failed = Some(e);
    }
    if failed.is_some() && !conn.is_autocommit() {
        // Nothing of this batch may stay; the connection must be clean for the next.
        let _ = conn.execute_batch("ROLLBACK");
    }
    for r in ran {
        (r.deliver)(failed.as_ref());
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
