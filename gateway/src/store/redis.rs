//! The shared backend: Redis, standalone or Cluster, so several gateway instances share
//! locations, verifications, quotas and idempotency records.
//!
//! Every value is a string key `<prefix><namespace>:<key>` holding
//! `<expires_at>|<json>`; liveness is always judged against the caller's `now` (the
//! gateway's clock), and a native TTL (`PX`, the time left plus a grace of
//! [`EXPIRY_GRACE_MS`]) only bounds how long dead data stays in memory, so a slow test
//! clock or a small clock skew never makes a live value vanish early. Quota counters
//! are sorted sets of event times under `<prefix>quota:<key>`; shared throughput buckets
//! (GCRA) are `<prefix>rate:<name>`, holding the bucket's theoretical arrival time.
//!
//! Single-key operations are single commands (`GET`, `SET … GET`, `GETDEL`);
//! everything that must be atomic over several steps or keys is one Lua script
//! (`redis/scripts.rs`): claim-and-put, put-all, compare-and-set for updates (with
//! the extra deletes of `update_owned` in the same script), and quota acquisition.
//! `update` reads, runs the closure here, then compare-and-sets on the exact stored
//! string, retrying the closure if another instance wrote in between (the optimistic
//! contract the trait documents); scripts work on multiplexed and cluster connections,
//! where `WATCH` would not.
//!
//! **Cluster.** A script may only touch keys of one hash slot. The keys of one
//! operation belong to different subjects: a verification (random id) and the pending
//! slot of its phone; a message and its provider reference; one request's phone, IP,
//! location and prefix quotas. No tag derived from a subject co-locates them, and any
//! cross-slot protocol (reserve, then commit or roll back) opens windows where another
//! instance sees half of an operation (a pending claim without its verification, which
//! flows would take for stale; a quota reservation that is later undone, denying a
//! request that should pass). So in Cluster mode every key of a deployment carries one
//! hash tag, the key prefix (`{gw:}verification:…`): all scripts stay exact and
//! atomic, and the Cluster provides failover and managed-service compatibility rather
//! than sharding the gateway's data. One shard serves far more than a gateway fleet
//! sends codes (see docs/scale-out.md); deployments with distinct prefixes land on
//! distinct slots.
//!
//! `prune` has nothing to do (Redis expires keys itself; quota events beyond their
//! windows are dropped on every acquisition). Connection loss or a command slower than
//! `store.redis.command_timeout` is [`StoreError::Busy`] (503 `store_unavailable`); the
//! connections reconnect by themselves.

mod config;
mod conn;
mod rekey;
mod scripts;
#[cfg(test)]
pub(crate) mod testing;

pub use config::{RedisConfig, StoreBackend};

use super::{
    Decision, Millis, Ns, OwnedUpdateFn, PutItem, QuotaCheck, QuotaDenied, Rekey, Rename, Seen,
    Store, StoreError, UpdateFn, Write,
};
use async_trait::async_trait;
use conn::{Conn, Pool, store_error};
use std::future::Future;
use std::time::Duration;

/// Added to every native TTL: dead data lingers this long at most past its logical
/// expiry, and a value stays physically present this long after it should expire even
/// if the gateway's clock runs behind Redis's.
pub const EXPIRY_GRACE_MS: i64 = 60_000;

/// The Redis store. Cheap to clone (shares its connections).
#[derive(Clone)]
pub struct RedisStore {
    pool: Pool,
    /// `gw:` standalone, `{gw:}` in Cluster mode (the hash tag).
    prefix: String,
    command_timeout: Duration,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Connects as `[store.redis]` says and checks the server answers.
    pub async fn connect(cfg: &RedisConfig) -> Result<Self, StoreError> {
        let pool = Pool::connect(cfg).await?;
        let prefix = if cfg.url.is_some() {
            cfg.key_prefix.clone()
        } else {
            format!("{{{}}}", cfg.key_prefix)
        };
        let store = Self {
            pool,
            prefix,
            command_timeout: cfg.command_timeout,
        };
        store.ping().await?;
        Ok(store)
    }

    fn key(&self, ns: Ns, key: &str) -> String {
        format!("{}{}:{}", self.prefix, ns.as_str(), key)
    }

    fn quota_key(&self, key: &str) -> String {
        format!("{}quota:{}", self.prefix, key)
    }

    /// Runs one round trip on a pooled connection, bounded by the command timeout.
    async fn run<T, F, Fut>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(Conn) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        match tokio::time::timeout(self.command_timeout, f(self.pool.get())).await {
            Ok(r) => r.map_err(store_error),
            Err(_) => Err(StoreError::Busy(format!(
                "redis did not answer within {} ms",
                self.command_timeout.as_millis()
            ))),
        }
    }

    /// Runs a script on a pooled connection.
    pub(crate) async fn script<T: redis::FromRedisValue>(
        &self,
        inv: redis::ScriptInvocation<'_>,
    ) -> Result<T, StoreError> {
        self.run(|mut c| async move { inv.invoke_async(&mut c).await })
            .await
    }

    async fn cas(
        &self,
        ns: Ns,
        key: &str,
        now: Millis,
        seen: Option<&str>,
        write: &Write,
        also_delete: &[(Ns, String)],
    ) -> Result<bool, StoreError> {
        let mut inv = scripts::CAS.prepare_invoke();
        inv.key(self.key(ns, key));
        for (ns, k) in also_delete {
            inv.key(self.key(*ns, k));
        }
        inv.arg(if seen.is_some() { "1" } else { "0" })
            .arg(seen.unwrap_or(""));
        match write {
            Write::Keep => inv.arg("keep").arg("").arg(""),
            Write::Delete => inv.arg("del").arg("").arg(""),
            Write::Put(v, exp) => inv.arg("put").arg(encode(v, *exp)).arg(ttl_arg(*exp, now)),
        };
        let applied: i64 = self.script(inv).await?;
        Ok(applied == 1)
    }

    /// The raw stored string (with its expiry header), for compare-and-set.
    async fn raw(&self, ns: Ns, key: &str) -> Result<Option<String>, StoreError> {
        let k = self.key(ns, key);
        self.run(|mut c| async move { redis::cmd("GET").arg(k).query_async(&mut c).await })
            .await
    }

    /// The shared read-decide-write loop of `update` and `update_owned`.
    async fn update_loop(
        &self,
        ns: Ns,
        key: &str,
        now: Millis,
        f: &mut (dyn FnMut(Option<&str>) -> (Decision, Seen) + Send),
    ) -> Result<Seen, StoreError> {
        loop {
            let raw = self.raw(ns, key).await?;
            let live = raw.as_deref().and_then(|r| decode(r, now));
            let (Decision { write, also_delete }, seen) = f(live);
            if write == Write::Keep && also_delete.is_empty() {
                return Ok(seen);
            }
            if self
                .cas(ns, key, now, raw.as_deref(), &write, &also_delete)
                .await?
            {
                return Ok(seen);
            }
        }
    }
}

/// `<expires_at>|<value>`.
fn encode(value: &str, expires_at: Option<Millis>) -> String {
    match expires_at {
        Some(at) => format!("{at}|{value}"),
        None => format!("|{value}"),
    }
}

/// The value if it is live at `now`.
fn decode(raw: &str, now: Millis) -> Option<&str> {
    let (exp, value) = raw.split_once('|')?;
    if exp.is_empty() || exp.parse::<Millis>().is_ok_and(|at| at > now) {
        Some(value)
    } else {
        None
    }
}

/// The native TTL for a value expiring at `expires_at` (`''`: none).
fn ttl_arg(expires_at: Option<Millis>, now: Millis) -> String {
    match expires_at {
        Some(at) => ((at - now).max(0) + EXPIRY_GRACE_MS).to_string(),
        None => String::new(),
    }
}

#[async_trait]
impl Store for RedisStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.run(|mut c| async move {
            redis::cmd("PING")
                .query_async::<String>(&mut c)
                .await
                .map(|_| ())
        })
        .await
    }

    async fn get(&self, ns: Ns, key: &str, now: Millis) -> Result<Option<String>, StoreError> {
        let raw = self.raw(ns, key).await?;
        Ok(raw
            .as_deref()
            .and_then(|r| decode(r, now))
            .map(str::to_owned))
    }

    async fn put(
        &self,
        ns: Ns,
        key: &str,
        value: String,
        expires_at: Option<Millis>,
        now: Millis,
    ) -> Result<bool, StoreError> {
        let (k, v, ttl) = (
            self.key(ns, key),
            encode(&value, expires_at),
            ttl_arg(expires_at, now),
        );
        let old: Option<String> = self
            .run(|mut c| async move {
                let mut cmd = redis::cmd("SET");
                cmd.arg(k).arg(v);
                if !ttl.is_empty() {
                    cmd.arg("PX").arg(ttl);
                }
                cmd.arg("GET").query_async(&mut c).await
            })
            .await?;
        Ok(old.as_deref().and_then(|r| decode(r, now)).is_some())
    }

    async fn put_all(&self, items: Vec<PutItem>, now: Millis) -> Result<(), StoreError> {
        if items.is_empty() {
            return Ok(());
        }
        let mut inv = scripts::PUT_ALL.prepare_invoke();
        for item in &items {
            inv.key(self.key(item.ns, &item.key))
                .arg(encode(&item.value, item.expires_at))
                .arg(ttl_arg(item.expires_at, now));
        }
        self.script::<i64>(inv).await.map(|_| ())
    }

    async fn put_if_absent(
        &self,
        ns: Ns,
        key: &str,
        value: String,
        expires_at: Option<Millis>,
        now: Millis,
    ) -> Result<bool, StoreError> {
        let claim = PutItem {
            ns,
            key: key.to_owned(),
            value,
            expires_at,
        };
        self.put_if_absent_with(claim, Vec::new(), now).await
    }

    async fn put_if_absent_with(
        &self,
        claim: PutItem,
        items: Vec<PutItem>,
        now: Millis,
    ) -> Result<bool, StoreError> {
        let mut inv = scripts::CLAIM_WITH.prepare_invoke();
        inv.arg(now);
        for item in std::iter::once(&claim).chain(&items) {
            inv.key(self.key(item.ns, &item.key))
                .arg(encode(&item.value, item.expires_at))
                .arg(ttl_arg(item.expires_at, now));
        }
        let stored: i64 = self.script(inv).await?;
        Ok(stored == 1)
    }

    async fn delete(&self, ns: Ns, key: &str, now: Millis) -> Result<bool, StoreError> {
        let k = self.key(ns, key);
        let old: Option<String> = self
            .run(|mut c| async move { redis::cmd("GETDEL").arg(k).query_async(&mut c).await })
            .await?;
        Ok(old.as_deref().and_then(|r| decode(r, now)).is_some())
    }

    async fn update_dyn(
        &self,
        ns: Ns,
        key: &str,
        now: Millis,
        f: UpdateFn<'_>,
    ) -> Result<Seen, StoreError> {
        self.update_loop(ns, key, now, &mut |cur| {
            let (write, seen) = f(cur);
            let decision = Decision {
                write,
                also_delete: Vec::new(),
            };
            (decision, seen)
        })
        .await
    }

    async fn update_owned_dyn(
        &self,
        ns: Ns,
        key: &str,
        now: Millis,
        mut f: OwnedUpdateFn,
    ) -> Result<Seen, StoreError> {
        self.update_loop(ns, key, now, &mut |cur| f(cur)).await
    }

    async fn quota_acquire(
        &self,
        checks: &[QuotaCheck],
        now: Millis,
    ) -> Result<Result<(), QuotaDenied>, StoreError> {
        if checks.is_empty() {
            return Ok(Ok(()));
        }
        let mut keys: Vec<&str> = Vec::new();
        let mut inv = scripts::QUOTA.prepare_invoke();
        inv.arg(now)
            .arg(format!("{now}:{:016x}", rand::random::<u64>()))
            .arg(EXPIRY_GRACE_MS)
            .arg(checks.len());
        for check in checks {
            let index = match keys.iter().position(|k| *k == check.key) {
                Some(i) => i + 1,
                None => {
                    keys.push(&check.key);
                    inv.key(self.quota_key(&check.key));
                    keys.len()
                }
            };
            inv.arg(index).arg(check.window_ms).arg(check.limit);
        }
        let out: Vec<i64> = self.script(inv).await?;
        match out.as_slice() {
            [1] => Ok(Ok(())),
            [0, index, wait] => Ok(Err(QuotaDenied {
                index: usize::try_from(*index).unwrap_or(usize::MAX),
                retry_after_ms: *wait,
            })),
            other => Err(StoreError::Backend(format!(
                "quota script answered {other:?}"
            ))),
        }
    }

    async fn quota_release(&self, checks: &[QuotaCheck], at: Millis) -> Result<(), StoreError> {
        let mut keys: Vec<&str> = Vec::new();
        let mut inv = scripts::QUOTA_RELEASE.prepare_invoke();
        inv.arg(at);
        for check in checks {
            if !keys.contains(&check.key.as_str()) {
                keys.push(&check.key);
                inv.key(self.quota_key(&check.key));
            }
        }
        if keys.is_empty() {
            return Ok(());
        }
        let _: i64 = self.script(inv).await?;
        Ok(())
    }

    async fn rate_acquire(
        &self,
        key: &str,
        per_second: u32,
        burst: u32,
        now: Millis,
    ) -> Result<Result<(), Millis>, StoreError> {
        let mut inv = scripts::RATE.prepare_invoke();
        inv.key(format!("{}rate:{key}", self.prefix))
            .arg(now)
            .arg(1000.0 / f64::from(per_second.max(1)))
            .arg(burst.max(1))
            .arg(EXPIRY_GRACE_MS);
        let wait: i64 = self.script(inv).await?;
        Ok(if wait == 0 { Ok(()) } else { Err(wait) })
    }

    async fn rekey(&self, what: Rekey<'_>, rename: Rename<'_>) -> Result<u64, StoreError> {
        rekey::rekey(self, what, rename).await
    }

    async fn prune(&self, _now: Millis) -> Result<u64, StoreError> {
        // Redis expires keys itself; quota events leave their sets on every acquire.
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_carry_their_expiry_and_are_judged_by_the_callers_clock() {
        assert_eq!(decode(&encode("v|w", Some(1000)), 999), Some("v|w"));
        assert_eq!(decode(&encode("v", Some(1000)), 1000), None);
        assert_eq!(decode(&encode("{}", None), i64::MAX), Some("{}"));
        assert_eq!(ttl_arg(Some(1000), 0), (1000 + EXPIRY_GRACE_MS).to_string());
        assert_eq!(ttl_arg(Some(0), 5000), EXPIRY_GRACE_MS.to_string());
        assert_eq!(ttl_arg(None, 0), "");
    }
}
