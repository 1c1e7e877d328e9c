//! Live adapter instances of connections, created lazily on first use and kept in a
//! bounded cache (`quick_cache`, least recently used go first).
//!
//! Each entry remembers the connection version it was built from and when that was last
//! confirmed against the store. Within `recheck` of the last confirmation it is used as
//! is; after that the caller reads the record again and either confirms the entry or
//! replaces it. That bounds how long a change made on another gateway instance goes
//! unseen, for one keyed read per connection per `recheck`. Entries are `Arc`s: a send
//! still running on a replaced or evicted instance keeps it alive until it finishes.
//! Times come from the caller (the gateway's clock), so tests move them by hand.

use crate::adapters::AdapterInstance;
use crate::store::Millis;
use quick_cache::sync::Cache;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// One live instance.
pub struct Live {
    /// The instance itself.
    pub instance: Arc<dyn AdapterInstance>,
    /// The connection version it was built from.
    pub version: u64,
    /// When its version was last confirmed against the store.
    checked_at: AtomicI64,
    /// When it was last handed out (for idle expiry).
    used_at: AtomicI64,
}

/// The cache.
pub struct LiveCache {
    entries: Cache<String, Arc<Live>>,
    recheck_ms: Millis,
    idle_ms: Millis,
}

impl std::fmt::Debug for LiveCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveCache")
            .field("live", &self.entries.len())
            .finish()
    }
}

impl LiveCache {
    /// Holds at most `capacity` instances.
    pub fn new(capacity: usize, recheck_ms: Millis, idle_ms: Millis) -> Self {
        Self {
            entries: Cache::new(capacity.max(1)),
            recheck_ms,
            idle_ms,
        }
    }

    /// The instance of `id` if it was confirmed less than `recheck` ago.
    pub fn fresh(&self, id: &str, now: Millis) -> Option<Arc<dyn AdapterInstance>> {
        let live = self.entries.get(id)?;
        if now.saturating_sub(live.checked_at.load(Ordering::Relaxed)) < self.recheck_ms {
            live.used_at.store(now, Ordering::Relaxed);
            return Some(live.instance.clone());
        }
        None
    }

    /// The instance of `id` if it was built from `version`; confirms it until `now +
    /// recheck`.
    pub fn confirm(&self, id: &str, version: u64, now: Millis) -> Option<Arc<dyn AdapterInstance>> {
        let live = self.entries.get(id).filter(|l| l.version == version)?;
        live.checked_at.store(now, Ordering::Relaxed);
        live.used_at.store(now, Ordering::Relaxed);
        Some(live.instance.clone())
    }

    /// Keeps `instance`, built from `version`, for `id`, unless a newer version is
    /// already there (two builds raced); returns the one kept.
    pub fn insert(
        &self,
        id: &str,
        instance: Arc<dyn AdapterInstance>,
        version: u64,
        now: Millis,
    ) -> Arc<dyn AdapterInstance> {
        if let Some(existing) = self.entries.get(id)
            && existing.version > version
        {
            return existing.instance.clone();
        }
        let live = Live {
            instance: instance.clone(),
            version,
            checked_at: AtomicI64::new(now),
            used_at: AtomicI64::new(now),
        };
        self.entries.insert(id.to_owned(), Arc::new(live));
        instance
    }

    /// Forgets `id` (its connection changed or went away).
    pub fn remove(&self, id: &str) {
        self.entries.remove(id);
    }

    /// Drops instances unused for `idle_timeout`; returns how many went.
    pub fn sweep(&self, now: Millis) -> usize {
        let before = self.entries.len();
        self.entries.retain(|_, live| {
            now.saturating_sub(live.used_at.load(Ordering::Relaxed)) < self.idle_ms
        });
        before.saturating_sub(self.entries.len())
    }

    /// Instances held now.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether none are held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
