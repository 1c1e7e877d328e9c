//! State behind one small, backend-neutral interface.
//!
//! The gateway keeps everything (locations, messages, verifications, idempotency
//! records, quota events, the server secret) as JSON values under `(namespace, key)`,
//! with explicit expiry. Every operation is atomic per key, and quota acquisition is
//! atomic across all the keys of one request, so the same trait maps onto Redis
//! (`GET`/`SET PX`/`SET NX`, `WATCH`/`MULTI` for updates, a Lua script for quotas) as
//! well as onto the embedded SQLite default. Callers pass `now` in: expiry follows the
//! gateway's [`crate::clock::Clock`], not the database's.

pub mod redis;
mod sqlite;
#[cfg(test)]
mod tests;

pub use self::redis::{RedisConfig, RedisStore, StoreBackend};
pub use sqlite::SqliteStore;

use async_trait::async_trait;

/// Unix time in milliseconds; the store's only notion of time.
pub type Millis = i64;

/// A namespace of keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ns {
    /// Location settings, by location id.
    Location,
    /// Message records, by message id.
    Message,
    /// Provider message id (`adapter:provider_id`) to message id.
    ProviderRef,
    /// Verification records, by verification id.
    Verification,
    /// Pending verification id, by `location:phone:purpose`.
    PendingVerification,
    /// Idempotency records, by `api key name:endpoint:key`.
    Idempotency,
    /// Consumed confirmation tokens, by token id.
    ConsumedToken,
    /// Gateway-wide values (the generated server secret).
    Meta,
    /// Provider connections made through the API, by connection id.
    Connection,
    /// Lists of connection ids (`location:<id>`, `shared`, `all:<shard>`,
    /// `users:<connection id>`), see `connections::records`.
    ConnectionIndex,
}

impl Ns {
    /// The stable name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Ns::Location => "location",
            Ns::Message => "message",
            Ns::ProviderRef => "provider_ref",
            Ns::Verification => "verification",
            Ns::PendingVerification => "pending_verification",
            Ns::Idempotency => "idempotency",
            Ns::ConsumedToken => "consumed_token",
            Ns::Meta => "meta",
            Ns::Connection => "connection",
            Ns::ConnectionIndex => "connection_index",
        }
    }
}

/// What an [`Store::update`] closure decides to do with the value it saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// Leave the value as it is.
    Keep,
    /// Store this value, expiring at the given time (`None`: never).
    Put(String, Option<Millis>),
    /// Remove the key.
    Delete,
}

/// One value for [`Store::put_all`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutItem {
    /// Namespace.
    pub ns: Ns,
    /// Key.
    pub key: String,
    /// The value.
    pub value: String,
    /// Expiry (`None`: never).
    pub expires_at: Option<Millis>,
}

/// One limit to check and count in [`Store::quota_acquire`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaCheck {
    /// The counter's key (`phone_hour:+7999…`); never shown to anyone.
    pub key: String,
    /// The sliding window, in milliseconds.
    pub window_ms: i64,
    /// Events allowed within any window.
    pub limit: u32,
}

/// A quota that is used up (of several, the one that frees up last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaDenied {
    /// Index of the exhausted check in the slice passed in.
    pub index: usize,
    /// Milliseconds until one more event fits.
    pub retry_after_ms: i64,
}

/// Why a store operation failed. Callers turn these into `503`/`500` and log them.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database is locked or unreachable right now: retry shortly.
    #[error("store busy or unreachable: {0}")]
    Busy(String),
    /// The database failed (disk, corruption, migration).
    #[error("store failure: {0}")]
    Backend(String),
    /// A stored value could not be decoded.
    #[error("stored value for {ns}:{key} is unreadable: {message}")]
    Corrupt {
        /// Namespace.
        ns: &'static str,
        /// Key.
        key: String,
        /// What failed.
        message: String,
    },
}

impl StoreError {
    /// True for [`StoreError::Busy`].
    pub fn is_busy(&self) -> bool {
        matches!(self, StoreError::Busy(_))
    }
}

/// What an update closure reports back to its caller, type-erased so that [`Store`]
/// stays object-safe; [`Store::update`] and [`Store::update_owned`] hand it back typed.
pub type Seen = Box<dyn std::any::Any + Send>;

/// A boxed update closure as backends see it: sees the current value (`None` if
/// absent or expired), says what to write and what to report. It may be called more
/// than once by backends that retry optimistically, so it must not have side effects
/// beyond its captures; the report of the run whose write counted is returned.
pub type UpdateFn<'a> = &'a mut (dyn FnMut(Option<&str>) -> (Write, Seen) + Send);

/// What an [`Store::update_owned`] closure decides: the write for its key, and other
/// keys to remove in the same atomic step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// What to do with the key itself.
    pub write: Write,
    /// Other keys to remove with it.
    pub also_delete: Vec<(Ns, String)>,
}

/// An owned update closure as backends see it (for [`Store::update_owned`]). Like
/// [`UpdateFn`] it may run more than once; the report of the run whose decision was
/// carried out is returned.
pub type OwnedUpdateFn = Box<dyn FnMut(Option<&str>) -> (Decision, Seen) + Send + 'static>;

/// The state interface. See the module docs.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Checks the backend answers (for `/readyz`).
    async fn ping(&self) -> Result<(), StoreError>;

    /// The value under `key`, unless absent or expired at `now`.
    async fn get(&self, ns: Ns, key: &str, now: Millis) -> Result<Option<String>, StoreError>;

    /// Stores a value, replacing any other; returns whether a live value was replaced.
    async fn put(
        &self,
        ns: Ns,
        key: &str,
        value: String,
        expires_at: Option<Millis>,
        now: Millis,
    ) -> Result<bool, StoreError>;

    /// Stores several values, replacing any others. The default stores them one by
    /// one; backends that can (SQLite) write them in one transaction, all or none,
    /// which also saves a commit per extra value on the send path.
    async fn put_all(&self, items: Vec<PutItem>, now: Millis) -> Result<(), StoreError> {
        for item in items {
            self.put(item.ns, &item.key, item.value, item.expires_at, now)
                .await?;
        }
        Ok(())
    }

    /// Stores a value only if no live value exists; returns whether it was stored.
    async fn put_if_absent(
        &self,
        ns: Ns,
        key: &str,
        value: String,
        expires_at: Option<Millis>,
        now: Millis,
    ) -> Result<bool, StoreError>;

    /// Stores `claim` only if its key holds no live value, and with it `items`; all or
    /// nothing. Returns whether the claim was stored. The default is not atomic
    /// across keys (claim first, then the rest); SQLite does it in one transaction,
    /// Redis would in one Lua script.
    async fn put_if_absent_with(
        &self,
        claim: PutItem,
        items: Vec<PutItem>,
        now: Millis,
    ) -> Result<bool, StoreError> {
        if !self
            .put_if_absent(claim.ns, &claim.key, claim.value, claim.expires_at, now)
            .await?
        {
            return Ok(false);
        }
        self.put_all(items, now).await?;
        Ok(true)
    }

    /// Removes a key; returns whether a live value was removed.
    async fn delete(&self, ns: Ns, key: &str, now: Millis) -> Result<bool, StoreError>;

    /// Atomically reads, decides and writes one key; returns the report of the
    /// closure run whose write counted. Backends implement this; callers use the typed
    /// [`Store::update`].
    async fn update_dyn(
        &self,
        ns: Ns,
        key: &str,
        now: Millis,
        f: UpdateFn<'_>,
    ) -> Result<Seen, StoreError>;

    /// [`Store::update_dyn`] with an owned closure, which a backend may run where the
    /// data is (SQLite: on its writer thread, one round trip instead of a read and a
    /// compare-and-set), and which may also remove other keys, all in one atomic
    /// step. The default runs the `update_dyn` loop, then the deletes (not atomic
    /// across keys); Redis would use `WATCH`/`MULTI` with the deletes inside the
    /// `MULTI`. Callers use the typed [`Store::update_owned`].
    async fn update_owned_dyn(
        &self,
        ns: Ns,
        key: &str,
        now: Millis,
        mut f: OwnedUpdateFn,
    ) -> Result<Seen, StoreError> {
        let mut deletes = Vec::new();
        let mut decide = |cur: Option<&str>| {
            let (d, seen) = f(cur);
            deletes = d.also_delete;
            (d.write, seen)
        };
        let seen = self.update_dyn(ns, key, now, &mut decide).await?;
        for (ns, key) in deletes {
            self.delete(ns, &key, now).await?;
        }
        Ok(seen)
    }

    /// Checks every quota and, only if all have room, counts one event under each
    /// distinct key. Several checks may share a key to apply several windows to one
    /// stream of events (a phone's cooldown, hourly and daily budgets); the event is
    /// then kept for the longest of their windows. A denial counts nothing anywhere.
    async fn quota_acquire(
        &self,
        checks: &[QuotaCheck],
        now: Millis,
    ) -> Result<Result<(), QuotaDenied>, StoreError>;

    /// Undoes a [`Store::quota_acquire`] of the same `checks` that succeeded at `at`:
    /// removes one event counted at `at` under each distinct key (a send no provider
    /// accepted gives its budget back). Never frees more than that one event; where
    /// the store cannot tell which older event an exact window forgot, it keeps the
    /// window at least as full as the truth (see `sqlite/quota.rs`).
    async fn quota_release(&self, checks: &[QuotaCheck], at: Millis) -> Result<(), StoreError>;

    /// Takes one permit from the shared token bucket `key` (GCRA: `per_second`
    /// sustained, `burst` at once), for throughput shaping across instances
    /// (`limits.throughput_scope = "cluster"`). `Ok(Err(ms))`: no permit, the next in
    /// `ms`. Only shared backends keep such buckets; the default says so.
    async fn rate_acquire(
        &self,
        key: &str,
        per_second: u32,
        burst: u32,
        now: Millis,
    ) -> Result<Result<(), Millis>, StoreError> {
        let _ = (key, per_second, burst, now);
        Err(StoreError::Backend(
            "this store keeps no shared throughput buckets; use limits.throughput_scope = \"instance\"".into(),
        ))
    }

    /// Removes expired values and quota events; returns how many rows went.
    async fn prune(&self, now: Millis) -> Result<u64, StoreError>;

    /// Moves what an earlier version stored under clear keys to the keys `rename`
    /// gives (`None`: leave it; it runs on the caller's thread). A counter moved onto
    /// an existing one is merged (the events of both count); a value moved onto a
    /// key holding one is dropped (the newer stays). Atomic per key; running it again, or
    /// from several instances at once, moves nothing twice. Returns how many moved.
    async fn rekey(&self, what: Rekey<'_>, rename: Rename<'_>) -> Result<u64, StoreError>;
}

/// How [`Store::rekey`] renames a key (`None`: leave it). An alias, so that the
/// `&str` it takes stays any lifetime through `async_trait`.
pub type Rename<'a> = &'a (dyn Fn(&str) -> Option<String> + Send + Sync + 'a);

/// What [`Store::rekey`] moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rekey<'a> {
    /// Quota counters whose key starts with this prefix.
    Quotas(&'a str),
    /// The values of this namespace.
    Values(Ns),
}

impl dyn Store + '_ {
    /// Atomically reads, decides and writes one key: `f` sees the current value
    /// (`None` if absent or expired) and returns what to write and a value for the
    /// caller, which this returns (from the run whose write counted: `f` may run more
    /// than once, so it must not have side effects beyond its captures).
    pub async fn update<T: Send + 'static>(
        &self,
        ns: Ns,
        key: &str,
        now: Millis,
        mut f: impl FnMut(Option<&str>) -> (Write, T) + Send,
    ) -> Result<T, StoreError> {
        let mut erased = |cur: Option<&str>| {
            let (write, value) = f(cur);
            (write, Box::new(value) as Seen)
        };
        let seen = self.update_dyn(ns, key, now, &mut erased).await?;
        typed(seen, ns, key)
    }

    /// [`Store::update`] with an owned closure that may also name other keys to
    /// remove in the same atomic step (see [`Store::update_owned_dyn`]).
    pub async fn update_owned<T: Send + 'static>(
        &self,
        ns: Ns,
        key: &str,
        now: Millis,
        mut f: impl FnMut(Option<&str>) -> (Decision, T) + Send + 'static,
    ) -> Result<T, StoreError> {
        let erased: OwnedUpdateFn = Box::new(move |cur: Option<&str>| {
            let (decision, value) = f(cur);
            (decision, Box::new(value) as Seen)
        });
        let seen = self.update_owned_dyn(ns, key, now, erased).await?;
        typed(seen, ns, key)
    }
}

/// Takes back the value an update closure reported. A backend hands back what the
/// closure returned, so only a broken backend can make this fail.
fn typed<T: 'static>(seen: Seen, ns: Ns, key: &str) -> Result<T, StoreError> {
    seen.downcast::<T>().map(|v| *v).map_err(|_| {
        StoreError::Backend(format!(
            "update of {}:{key} returned a value its closure did not produce",
            ns.as_str()
        ))
    })
}

/// Converts a time to store milliseconds.
pub fn millis(t: time::OffsetDateTime) -> Millis {
    (t.unix_timestamp_nanos() / 1_000_000) as Millis
}

/// Reads and decodes a JSON value.
pub async fn get_json<T: serde::de::DeserializeOwned>(
    store: &dyn Store,
    ns: Ns,
    key: &str,
    now: Millis,
) -> Result<Option<T>, StoreError> {
    match store.get(ns, key, now).await? {
        None => Ok(None),
        Some(s) => serde_json::from_str(&s)
            .map(Some)
            .map_err(|e| StoreError::Corrupt {
                ns: ns.as_str(),
                key: key.to_owned(),
                message: e.to_string(),
            }),
    }
}

/// Encodes a value as JSON for storing.
pub fn to_json<T: serde::Serialize>(value: &T) -> String {
    // Serializing our own plain structs cannot fail (no maps with non-string keys).
    serde_json::to_string(value).expect("record types serialize to JSON")
}
