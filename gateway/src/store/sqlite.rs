//! The embedded default backend: one SQLite file (`<data-dir>/gateway.db`) in WAL mode.
//!
//! One connection, owned by a writer thread that commits queued operations in
//! groups (see `sqlite/writer.rs`): SQLite serialises writers anyway, and a single
//! connection keeps every multi-statement operation atomic. Schema changes are
//! numbered migrations tracked in `PRAGMA user_version`.

use super::{
    Millis, Ns, OwnedUpdateFn, PutItem, QuotaCheck, QuotaDenied, Seen, Store, StoreError, UpdateFn,
    Write,
};
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};
use std::time::Duration;

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
];

/// The SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// The writer thread that owns the one connection.
    writer: writer::Writer,
    /// The database file, for messages.
    path: PathBuf,
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
            writer: writer::Writer::spawn(conn)?,
            path,
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
        conn.execute_batch(&format!(
            "BEGIN; {sql}; PRAGMA user_version = {next}; COMMIT;"
        ))
        .map_err(|e| StoreError::Backend(format!("migration {next} failed: {e}")))?;
    }
    Ok(())
}

/// Largest limit for which checks sharing a key read their events in one query.
const SHARED_READ_MAX: u32 = 64;

/// The newest `limit` events of `key` after `since`, newest first.
fn recent_events(
    c: &Connection,
    key: &str,
    since: Millis,
    limit: u32,
) -> Result<Vec<i64>, StoreError> {
    let mut stmt = c
        .prepare_cached(
            "SELECT at FROM quota_events WHERE key = ?1 AND at > ?2 ORDER BY at DESC LIMIT ?3",
        )
        .map_err(backend)?;
    let rows = stmt
        .query_map(params![key, since, limit], |r| r.get(0))
        .map_err(backend)?;
    rows.collect::<Result<Vec<i64>, _>>().map_err(backend)
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
        self.with(move |c| {
            // Every check is looked at: when several are used up, the caller must wait
            // for the slowest, or its retry would hit the next limit.
            let mut denied: Option<QuotaDenied> = None;
            // Recent events of keys that several checks share, read once per key.
            let mut recent: Vec<(&str, Vec<i64>)> = Vec::new();
            for (index, check) in checks.iter().enumerate() {
                let retry_after_ms = if check.limit == 0 {
                    Some(check.window_ms)
                } else {
                    let since = now - check.window_ms;
                    let (shared_by, max_limit, max_window) = checks
                        .iter()
                        .filter(|o| o.key == check.key)
                        .fold((0, 0, 0), |(n, l, w), o| {
                            (n + 1, l.max(o.limit), w.max(o.window_ms))
                        });
                    let oldest_counted = if shared_by > 1 && max_limit <= SHARED_READ_MAX {
                        // A phone's cooldown, hour and day: the newest `max_limit` events
                        // of the longest window, read once, answer every window (events
                        // within a shorter window are a prefix of these).
                        let at = match recent.iter().position(|(k, _)| *k == check.key) {
                            Some(at) => at,
                            None => {
                                let rows =
                                    recent_events(c, &check.key, now - max_window, max_limit)?;
                                recent.push((&check.key, rows));
                                recent.len() - 1
                            }
                        };
                        recent[at]
                            .1
                            .get(check.limit as usize - 1)
                            .copied()
                            .filter(|at| *at > since)
                    } else {
                        // The `limit`-th most recent event in the window, if there is
                        // one: then the window is full, and that event must leave it
                        // before one more fits. SQLite steps over the newer ones inside
                        // the index; only one row reaches us (reading every event
                        // dominated the send path for keys with large limits).
                        let mut stmt = c
                            .prepare_cached(
                                "SELECT at FROM quota_events WHERE key = ?1 AND at > ?2 ORDER BY at DESC LIMIT 1 OFFSET ?3",
                            )
                            .map_err(backend)?;
                        stmt.query_row(params![check.key, since, check.limit - 1], |r| r.get(0))
                            .optional()
                            .map_err(backend)?
                    };
                    oldest_counted.map(|at: i64| (at + check.window_ms - now).max(1))
                };
                if let Some(ms) = retry_after_ms
                    && denied.as_ref().is_none_or(|d| ms > d.retry_after_ms)
                {
                    denied = Some(QuotaDenied { index, retry_after_ms: ms });
                }
            }
            if let Some(d) = denied {
                return Ok(Err(d));
            }
            // One event per distinct key, kept for the longest window counting it.
            for (i, check) in checks.iter().enumerate() {
                if checks[..i].iter().any(|earlier| earlier.key == check.key) {
                    continue;
                }
                let window_ms = checks
                    .iter()
                    .filter(|other| other.key == check.key)
                    .map(|other| other.window_ms)
                    .max()
                    .unwrap_or(check.window_ms);
                c.prepare_cached(
                    "INSERT INTO quota_events (key, at, expires_at) VALUES (?1, ?2, ?3)",
                )
                .map_err(backend)?
                .execute(params![check.key, now, now + window_ms])
                .map_err(backend)?;
            }
            Ok(Ok(()))
        })
        .await
    }

    async fn prune(&self, now: Millis) -> Result<u64, StoreError> {
        self.with(move |c| {
            let a = c
                .execute(
                    "DELETE FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ?1",
                    params![now],
                )
                .map_err(backend)?;
            let b = c
                .execute(
                    "DELETE FROM quota_events WHERE expires_at <= ?1",
                    params![now],
                )
                .map_err(backend)?;
            Ok((a + b) as u64)
        })
        .await
    }
}
