use super::*;
use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc::{Sender, channel};
use std::task::{Context, Poll, Waker};

/// A writer on a fresh file database with one table, and a path for a second reader.
fn setup() -> (tempfile::TempDir, std::path::PathBuf, Writer) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.db");
    let conn = Connection::open(&path).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.execute_batch("CREATE TABLE t (x INTEGER NOT NULL)")
        .unwrap();
    let writer = Writer::spawn(conn, &path, std::time::Duration::from_secs(5)).unwrap();
    (dir, path, writer)
}

/// Polls once, which queues the job, so that queue order is the test's order.
fn queue<F: Future>(f: F) -> Pin<Box<F>> {
    let mut f = Box::pin(f);
    let polled = f.as_mut().poll(&mut Context::from_waker(Waker::noop()));
    assert!(
        matches!(polled, Poll::Pending),
        "answered before its batch ran"
    );
    f
}

fn insert(c: &Connection, x: i64) -> Result<(), StoreError> {
    c.execute("INSERT INTO t (x) VALUES (?1)", [x])
        .map(|_| ())
        .map_err(backend)
}

/// The committed rows, as another connection sees them.
fn committed(path: &std::path::Path) -> Vec<i64> {
    let c = Connection::open(path).unwrap();
    let mut s = c.prepare("SELECT x FROM t ORDER BY x").unwrap();
    s.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Queues an operation that blocks the writer until `release` is sent or dropped (and
/// runs through at once if replayed), and returns only once it is running: its batch
/// then holds it alone, and everything queued next lands together in the next batch.
fn hold(
    w: &Writer,
) -> (
    Pin<Box<impl Future<Output = Result<(), StoreError>>>>,
    Sender<()>,
) {
    let (release, held) = channel();
    let (started_tx, started) = channel();
    let op = queue(w.run(move |_| {
        let _ = started_tx.send(());
        let _ = held.recv();
        Ok(())
    }));
    started.recv().unwrap();
    (op, release)
}

fn count(c: &Connection) -> Result<i64, StoreError> {
    c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .map_err(backend)
}

#[tokio::test]
async fn queued_ops_share_one_commit_and_run_once() {
    let (_d, path, w) = setup();
    // `hold` keeps the thread busy until everything else is queued behind it.
    let (hold, release) = hold(&w);
    let runs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let r = runs.clone();
    let ok1 = queue(w.run(move |c| {
        r.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        insert(c, 1)
    }));
    let (running_tx, running) = channel();
    let (go_tx, go) = channel::<()>();
    let last = queue(w.run(move |c| {
        insert(c, 2)?;
        let _ = running_tx.send(());
        let _ = go.recv();
        count(c)
    }));
    release.send(()).unwrap();
    running.recv().unwrap();
    // Op 1 has finished but is not committed: it shares the transaction of the last.
    assert_eq!(committed(&path), Vec::<i64>::new());
    go_tx.send(()).unwrap();
    hold.await.unwrap();
    ok1.await.unwrap();
    assert_eq!(last.await.unwrap(), 2, "the last op sees the first's write");
    assert_eq!(committed(&path), vec![1, 2]);
    assert_eq!(runs.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_failure_undoes_only_its_own_writes_and_the_rest_are_replayed_alone() {
    let (_d, path, w) = setup();
    let (hold, release) = hold(&w);
    let runs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let r = runs.clone();
    let ok1 = queue(w.run(move |c| {
        r.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        insert(c, 1)
    }));
    let failing = queue(w.run(|c| {
        insert(c, 2)?;
        Err::<(), _>(StoreError::Backend("refused by the test".into()))
    }));
    let ok3 = queue(w.run(|c| insert(c, 3)));
    // Replayed after the failure: sees ops 1 and 3, nothing of op 2.
    let seen = queue(w.run(count));
    drop(release);
    hold.await.unwrap();
    ok1.await.unwrap();
    assert!(matches!(failing.await, Err(StoreError::Backend(m)) if m == "refused by the test"));
    ok3.await.unwrap();
    assert_eq!(seen.await.unwrap(), 2);
    assert_eq!(committed(&path), vec![1, 3]);
    // Op 1 ran in the batch, was rolled back with it, and ran again alone.
    assert_eq!(runs.load(std::sync::atomic::Ordering::SeqCst), 2);
    // The writer goes on grouping afterwards.
    w.run(|c| insert(c, 4)).await.unwrap();
    assert_eq!(committed(&path), vec![1, 3, 4]);
}

#[tokio::test]
async fn a_panicking_op_fails_alone_and_the_writer_keeps_serving() {
    let (_d, path, w) = setup();
    let (hold, release) = hold(&w);
    let panics = queue(w.run(|c| -> Result<(), StoreError> {
        insert(c, 7)?;
        panic!("a bug in an operation");
    }));
    let after = queue(w.run(|c| insert(c, 8)));
    drop(release);
    hold.await.unwrap();
    assert!(matches!(panics.await, Err(StoreError::Backend(m)) if m.contains("panicked")));
    after.await.unwrap();
    w.run(|c| insert(c, 9)).await.unwrap();
    assert_eq!(committed(&path), vec![8, 9]);
}

#[tokio::test]
async fn dropping_the_last_handle_closes_the_connection() {
    let (_d, path, w) = setup();
    let other = w.clone();
    w.run(|c| insert(c, 1)).await.unwrap();
    drop(w);
    other.run(|c| insert(c, 2)).await.unwrap();
    drop(other);
    // SQLite removes the WAL file when its last connection closes.
    let wal = path.with_extension("db-wal");
    assert!(!wal.exists(), "writer connection still open");
    assert_eq!(committed(&path), vec![1, 2]);
}
