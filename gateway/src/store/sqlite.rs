//! The embedded default backend: one SQLite file (`<data-dir>/gateway.db`) in WAL mode.
//!
//! One connection, owned by a writer thread that commits queued operations in
//! groups (see `sqlite/writer.rs`): SQLite serialises writers anyway, and a single
//! connection keeps every multi-statement operation atomic. A second connection
//! only copies the WAL into the database file, on a thread of its own
//! (`sqlite/checkpoint.rs`), so the writer never stops to do it. Schema changes are
//! numbered migrations tracked in `PRAGMA user_version`.

use super::{
    Millis, Ns, OwnedUpdateFn, PutItem, QuotaCheck, QuotaDenied, Rekey, Rename, Seen, Store,
    StoreError, UpdateFn, Write,
};
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod checkpoint;
mod quota;
mod rekey;
mod sweep;
mod writer;

/// Numbered schema migrations; index + 1 is the `user_version` after applying it.
/// Append only: never edit a migration that has shipped.
const MIGRATIONS: &[&str] = &[
    // 1: key/value records with expiry, and quota events for sliding windows.
    "CREATE TABLE kv (
        ns TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        expires_at INTEGER,
        PRIMARY KEY (ns, key)
    ) WITHOUT ROWID;
    CREATE INDEX kv_expiry ON kv (expires_at) WHERE expires_at IS NOT NULL;
    CREATE TABLE quota_events (
        key TEXT NOT NULL,
        at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
    );
    CREATE INDEX quota_events_key_at ON quota_events (key, at);
    CREATE INDEX quota_events_expiry ON quota_events (expires_at);",
    // 2: quota state as one row per key (sqlite/quota.rs), no index besides the key:
    // pruning walks the table in key order a chunk at a time. `migrate` converts the
    // events of migration 1 and drops their table in the same transaction.
    "CREATE TABLE quotas (
        key TEXT PRIMARY KEY,
        state BLOB NOT NULL,
        expires_at INTEGER NOT NULL
    ) WITHOUT ROWID;",
];

/// Rows one prune step deletes (or, for quotas, looks at) before the writer goes on
/// with queued operations: pruning a minute of messages at once held sends for as
/// long as the delete took.
const PRUNE_CHUNK: i64 = 2000;

/// The SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// The writer thread that owns the one connection.
    writer: writer::Writer,
    /// The database file, for messages.
    path: PathBuf,
    /// Where the paced walk over the quota table is (`sqlite/sweep.rs`).
    sweep: Arc<Mutex<sweep::Sweep>>,
}

impl SqliteStore {
    /// Opens (creating if needed) `<data_dir>/gateway.db` and migrates it.
    pub fn open(data_dir: &Path, busy_timeout: Duration) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            StoreError::Backend(format!(
                "cannot create data dir `{}`: {e}",
                data_dir.display()
            ))
        })?;
        let path = data_dir.join("gateway.db");
        let conn = Connection::open(&path)
            .map_err(|e| StoreError::Backend(format!("cannot open `{}`: {e}", path.display())))?;
        conn.busy_timeout(busy_timeout).map_err(backend)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(backend)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(backend)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(backend)?;
        migrate(&conn)?;
        Ok(Self {
            writer: writer::Writer::spawn(conn, &path, busy_timeout)?,
            path,
            sweep: Arc::default(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` on the writer thread, inside the next group transaction (an error
    /// undoes its writes only: the group is replayed without it); answers once that
    /// has committed. `f` may run twice, so it only touches the connection.
    async fn with<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnMut(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        self.writer.run(f).await
    }
}

fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(backend)?;
    let known = MIGRATIONS.len() as i64;
    if version > known {
        return Err(StoreError::Backend(format!(
            "database schema version {version} is newer than this gateway knows ({known}); upgrade the gateway"
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let next = i as i64 + 1;
        let step = || -> Result<(), StoreError> {
            conn.execute_batch(&format!("BEGIN; {sql};"))
                .map_err(backend)?;
            if next == 2 {
                quota::migrate_events(conn)?;
            }
            conn.execute_batch(&format!("PRAGMA user_version = {next}; COMMIT;"))
                .map_err(backend)
        };
        if let Err(e) = step() {
            if !conn.is_autocommit() {
                let _ = conn.execute_batch("ROLLBACK");
            }
            return Err(StoreError::Backend(format!("migration {next} failed: {e}")));
        }
    }
    Ok(())
}

/// A lock whose holder panicked (a bug elsewhere) is reported, never unwrapped.
fn poisoned<T>(_: std::sync::PoisonError<T>) -> StoreError {
    StoreError::Backend("the quota sweep's state was poisoned by a panic (a bug)".into())
}

fn backend(e: rusqlite::Error) -> StoreError {
    match e {
        rusqlite::Error::SqliteFailure(ref f, _)
            if matches!(
                f.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ) =>
        {
            StoreError::Busy(e.to_string())
        }
        other => StoreError::Backend(other.to_string()),
    }
}

fn live_value(
    c: &Connection,
    ns: Ns,
    key: &str,
    now: Millis,
) -> Result<Option<String>, StoreError> {
    c.prepare_cached(
        "SELECT value FROM kv WHERE ns = ?1 AND key = ?2 AND (expires_at IS NULL OR expires_at > ?3)",
    )
    .map_err(backend)?
    .query_row(params![ns.as_str(), key, now], |r| r.get(0))
    .optional()
    .map_err(backend)
}

fn upsert(
    c: &Connection,
    ns: Ns,
    key: &str,
    value: &str,
    expires_at: Option<Millis>,
) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO kv (ns, key, value, expires_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at",
    )
    .map_err(backend)?
    .execute(params![ns.as_str(), key, value, expires_at])
    .map_err(backend)?;
    Ok(())
}

fn remove(c: &Connection, ns: Ns, key: &str) -> Result<(), StoreError> {
    c.prepare_cached("DELETE FROM kv WHERE ns = ?1 AND key = ?2")
        .map_err(backend)?
        .execute(params![ns.as_str(), key])
        .map_err(backend)?;
    Ok(())
}

/// Carries out an update's decision for `key`.
fn apply(c: &Connection, ns: Ns, key: &str, write: &Write) -> Result<(), StoreError> {
    match write {
        Write::Keep => Ok(()),
        Write::Put(v, exp) => upsert(c, ns, key, v, *exp),
        Write::Delete => remove(c, ns, key),
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.with(|c| c.query_row("SELECT 1", [], |_| Ok(())).map_err(backend))
            .await
    }

    async fn get(&self, ns: Ns, key: &str, now: Millis) -> Result<Option<String>, StoreError> {
        let key = key.to_owned();
        self.with(move |c| live_value(c, ns, &key, now)).await
    }

    async fn put(
        &self,
        ns: Ns,
        key: &str,
        value: String,
        expires_at: Option<Millis>,
        now: Millis,
    ) -> Result<bool, StoreError> {
        let key = key.to_owned();
        self.with(move |c| {
            let existed = live_value(c, ns, &key, now)?.is_some();
            upsert(c, ns, &key, &value, expires_at)?;
            Ok(existed)
        })
        .await
    }

    async fn put_all(&self, items: Vec<PutItem>, _now: Millis) -> Result<(), StoreError> {
        self.with(move |c| {
            for item in &items {
                upsert(c, item.ns, &item.key, &item.value, item.expires_at)?;
            }
            Ok(())
        })
        .await
    }

    async fn put_if_absent(
        &self,
        ns: Ns,
        key: &str,
        value: String,
        expires_at: Option<Millis>,
        now: Millis,
    ) -> Result<bool, StoreError> {
        let key = key.to_owned();
        self.with(move |c| {
            if live_value(c, ns, &key, now)?.is_some() {
                return Ok(false);
            }
            upsert(c, ns, &key, &value, expires_at)?;
            Ok(true)
        })
        .await
    }

    async fn put_if_absent_with(
        &self,
        claim: PutItem,
        items: Vec<PutItem>,
        now: Millis,
    ) -> Result<bool, StoreError> {
        self.with(move |c| {
            if live_value(c, claim.ns, &claim.key, now)?.is_some() {
                return Ok(false);
            }
            upsert(c, claim.ns, &claim.key, &claim.value, claim.expires_at)?;
            for item in &items {
                upsert(c, item.ns, &item.key, &item.value, item.expires_at)?;
            }
            Ok(true)
        })
        .await
    }

    async fn delete(&self, ns: Ns, key: &str, now: Millis) -> Result<bool, StoreError> {
        let key = key.to_owned();
        self.with(move |c| {
            let existed = live_value(c, ns, &key, now)?.is_some();
            remove(c, ns, &key)?;
            Ok(existed)
        })
        .await
    }

    async fn update_dyn(
        &self,
        ns: Ns,
        key: &str,
        now: Millis,
        f: UpdateFn<'_>,
    ) -> Result<Seen, StoreError> {
        // The closure borrows from the caller, so it cannot move to the writer thread;
        // read, decide here, then write only if nothing changed meanwhile (compare and
        // set on the old value), retrying otherwise, exactly as a Redis WATCH would.
        loop {
            let current = self.get(ns, key, now).await?;
            let (decision, seen) = f(current.as_deref());
            let key_owned = key.to_owned();
            let expected = current.clone();
            let applied = self
                .with(move |c| {
                    if live_value(c, ns, &key_owned, now)? != expected {
                        return Ok(false);
                    }
                    apply(c, ns, &key_owned, &decision)?;
                    Ok(true)
                })
                .await?;
            if applied {
                return Ok(seen);
            }
        }
    }

    async fn update_owned_dyn(
        &self,
        ns: Ns,
        key: &str,
        now: Millis,
        mut f: OwnedUpdateFn,
    ) -> Result<Seen, StoreError> {
        let key = key.to_owned();
        self.with(move |c| {
            let current = live_value(c, ns, &key, now)?;
            let (decision, seen) = f(current.as_deref());
            apply(c, ns, &key, &decision.write)?;
            for (other_ns, other_key) in &decision.also_delete {
                remove(c, *other_ns, other_key)?;
            }
            Ok(seen)
        })
        .await
    }

    async fn quota_acquire(
        &self,
        checks: &[QuotaCheck],
        now: Millis,
    ) -> Result<Result<(), QuotaDenied>, StoreError> {
        let checks = checks.to_vec();
        self.with(move |c| quota::acquire(c, &checks, now)).await
    }

    async fn quota_release(&self, checks: &[QuotaCheck], at: Millis) -> Result<(), StoreError> {
        let checks = checks.to_vec();
        self.with(move |c| quota::release(c, &checks, at)).await
    }

    async fn rekey(&self, what: Rekey<'_>, rename: Rename<'_>) -> Result<u64, StoreError> {
        rekey::rekey(self, what, rename).await
    }

    async fn prune(&self, now: Millis) -> Result<u64, StoreError> {
        // One chunk per writer operation, so that sends queued meanwhile go in between.
        let mut removed = 0;
        loop {
            let n = self
                .with(move |c| {
                    c.prepare_cached(
                        "DELETE FROM kv WHERE (ns, key) IN (SELECT ns, key FROM kv
                         WHERE expires_at IS NOT NULL AND expires_at <= ?1 LIMIT ?2)",
                    )
                    .map_err(backend)?
                    .execute(params![now, PRUNE_CHUNK])
                    .map_err(backend)
                })
                .await?;
            removed += n as u64;
            if (n as i64) < PRUNE_CHUNK {
                break;
            }
        }
        // Quota rows have no expiry index (it cost an index update per send): walk the
        // table in key order, a chunk per operation, a share of it per call.
        let step = self.sweep.lock().map_err(poisoned)?.begin(now);
        let (mut from, mut budget) = (step.after, step.budget);
        while budget.is_none_or(|b| b > 0) {
            let after = from.clone();
            let (n, walked, last) = self.with(move |c| sweep::chunk(c, &after, now)).await?;
            removed += n as u64;
            self.sweep
                .lock()
                .map_err(poisoned)?
                .advance(walked, last.clone());
            budget = budget.map(|b| b - walked);
            match last {
                Some(k) => from = k,
                None => break,
            }
        }
        Ok(removed)
    }
}
