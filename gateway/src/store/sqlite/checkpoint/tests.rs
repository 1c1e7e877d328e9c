use super::*;

/// A WAL database with one table, the writer's connection, and the checkpointer.
fn setup(restart_frames: i64) -> (tempfile::TempDir, Connection, Nudge, JoinHandle<()>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let conn = Connection::open(&path).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.execute_batch("CREATE TABLE t (x INTEGER PRIMARY KEY, pad BLOB NOT NULL)")
        .unwrap();
    let (nudge, thread) = spawn(&conn, &path, Duration::from_secs(5), restart_frames).unwrap();
    (dir, conn, nudge, thread)
}

/// Commits `n` rows of 2 KiB each, one transaction per row, nudging after each as the
/// writer thread does.
fn write(conn: &Connection, nudge: &Nudge, from: i64, n: i64) {
    for x in from..from + n {
        conn.execute("INSERT INTO t (x, pad) VALUES (?1, zeroblob(2048))", [x])
            .unwrap();
        nudge.committed(conn);
    }
}

fn size(path: std::path::PathBuf) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

#[test]
fn the_writers_connection_no_longer_checkpoints_itself() {
    let (_dir, conn, _nudge, _thread) = setup(RESTART_FRAMES);
    let auto: i64 = conn
        .query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0))
        .unwrap();
    assert_eq!(auto, 0);
}

#[test]
fn commits_reach_the_database_file_without_the_writer_checkpointing() {
    let (dir, conn, nudge, _thread) = setup(RESTART_FRAMES);
    let db = dir.path().join("c.db");
    let before = size(db.clone());
    write(&conn, &nudge, 0, 500);
    // The writer never checkpoints (autocheckpoint is off), so only the thread can
    // have grown the main file: wait for it (liveness, not a timing assertion).
    let deadline = Instant::now() + Duration::from_secs(30);
    while size(db.clone()) < before + 500 * 2048 {
        assert!(
            Instant::now() < deadline,
            "no checkpoint copied the commits"
        );
        std::thread::sleep(Duration::from_millis(20));
        nudge.committed(&conn);
    }
}

#[test]
fn a_wal_under_constant_writes_is_started_over_and_stays_bounded() {
    // Restart past 64 frames. 10,000 commits without a pause append about 120 MiB of
    // frames (each commit rewrites a leaf and its parents), and a passive checkpoint
    // alone never finds the WAL fully copied: without the restart the WAL file ends
    // that long (measured: 72 MB for 6,000 commits). With it, the file only ever holds
    // what is committed between two checkpoints (about 5 MiB here).
    let (dir, conn, nudge, _thread) = setup(64);
    write(&conn, &nudge, 0, 10_000);
    let wal = size(dir.path().join("c.db-wal"));
    assert!(
        wal < 40 * 1024 * 1024,
        "the WAL grew to {wal} bytes: it was never started over"
    );
    let n: i64 = conn
        .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 10_000);
}

#[test]
fn dropping_the_nudge_ends_the_thread_and_the_file_holds_every_commit() {
    let (dir, conn, nudge, thread) = setup(RESTART_FRAMES);
    write(&conn, &nudge, 0, 100);
    drop(nudge);
    thread.join().unwrap();
    drop(conn);
    // The last connection closed, so SQLite copied the WAL and removed it.
    assert!(!dir.path().join("c.db-wal").exists());
    let c = Connection::open(dir.path().join("c.db")).unwrap();
    let n: i64 = c
        .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 100);
}
