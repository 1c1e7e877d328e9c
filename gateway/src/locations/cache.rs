//! Location settings kept in memory between sends.
//!
//! Every send and verification reads its location; under load that read was one of the
//! three store round trips of a message. Locations change rarely (an admin saves the
//! settings page), so the send path reads them from here: a bounded concurrent cache
//! (`quick_cache`) whose entries live `store.location_cache_ttl`.
//!
//! This instance's own `PUT`/`DELETE` invalidate at once, and a read that raced with
//! such a write never caches the value it read before the write (a generation counter:
//! a loader stores its value only if no write happened since it began reading). The TTL
//! only bounds how long a change made by *another* gateway instance sharing the store
//! can go unseen. Expiry follows the gateway's clock, so tests can move it.

use super::Location;
use crate::store::Millis;
use quick_cache::sync::Cache;
use std::sync::atomic::{AtomicU64, Ordering};

/// Locations held at most; least recently used go first. A location is about 1 KiB.
const CAPACITY: usize = 10_000;

/// The cache; `ttl_ms == 0` turns it off.
pub struct LocationCache {
    entries: Cache<String, (Location, Millis)>,
    ttl_ms: Millis,
    /// Bumped by every write, before and after it reaches the store.
    generation: AtomicU64,
}

/// What a loader must hand back to [`LocationCache::store`].
#[derive(Debug, Clone, Copy)]
pub struct Ticket(u64);

impl std::fmt::Debug for LocationCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocationCache")
            .field("entries", &self.entries.len())
            .field("ttl_ms", &self.ttl_ms)
            .finish()
    }
}

impl LocationCache {
    /// A cache whose entries live `ttl_ms` (0: nothing is cached).
    pub fn new(ttl_ms: Millis) -> Self {
        Self {
            entries: Cache::new(CAPACITY),
            ttl_ms,
            generation: AtomicU64::new(0),
        }
    }

    /// The cached location if it is still fresh at `now`.
    pub fn get(&self, id: &str, now: Millis) -> Option<Location> {
        match self.entries.get(id) {
            Some((location, expires)) if now < expires => Some(location),
            _ => None,
        }
    }

    /// Taken before reading the store; see [`LocationCache::store`].
    pub fn ticket(&self) -> Ticket {
        Ticket(self.generation.load(Ordering::Acquire))
    }

    /// Caches what was read under `ticket`, unless a write happened since.
    pub fn store(&self, ticket: Ticket, location: &Location, now: Millis) {
        if self.ttl_ms <= 0 {
            return;
        }
        self.entries.insert(
            location.location_id.clone(),
            (location.clone(), now.saturating_add(self.ttl_ms)),
        );
        // A write that began meanwhile may have been read before or after it landed:
        // drop what we just stored rather than keep a value that may be stale.
        if self.generation.load(Ordering::Acquire) != ticket.0 {
            self.entries.remove(&location.location_id);
        }
    }

    /// Forgets `id`; called before and after every write of a location, so that no
    /// reader caches a value from before the write once it has returned.
    pub fn invalidate(&self, id: &str) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.entries.remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::locations::{OnlineBooking, PhoneConfirmation};
    use crate::render::TemplateKind;

    fn location(id: &str, name: &str) -> Location {
        Location {
            location_id: id.into(),
            company_name: None,
            location_name: name.into(),
            country: Some("RU".into()),
            language: "en".into(),
            phone_confirmation: PhoneConfirmation {
                enabled: true,
                template: TemplateKind::CodeOnly,
            },
            online_booking: OnlineBooking {
                require_phone_confirmation: true,
            },
            channels: None,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    #[test]
    fn entries_live_for_the_ttl_on_the_given_clock() {
        let c = LocationCache::new(5_000);
        c.store(c.ticket(), &location("a", "Salon"), 1_000);
        assert_eq!(
            c.get("a", 5_999).map(|l| l.location_name).as_deref(),
            Some("Salon")
        );
        assert!(c.get("a", 6_000).is_none(), "expired at now + ttl");
        assert!(c.get("b", 1_000).is_none());
    }

    #[test]
    fn a_zero_ttl_caches_nothing() {
        let c = LocationCache::new(0);
        c.store(c.ticket(), &location("a", "Salon"), 0);
        assert!(c.get("a", 0).is_none());
    }

    #[test]
    fn a_write_forgets_the_entry() {
        let c = LocationCache::new(5_000);
        c.store(c.ticket(), &location("a", "Old"), 0);
        c.invalidate("a");
        assert!(c.get("a", 1).is_none());
    }

    #[test]
    fn a_value_read_before_a_write_is_not_cached_after_it() {
        let c = LocationCache::new(5_000);
        // A reader takes its ticket and reads the old value from the store ...
        let ticket = c.ticket();
        let read = location("a", "Old");
        // ... meanwhile a write lands (invalidating before and after) ...
        c.invalidate("a");
        c.invalidate("a");
        // ... and only then the reader tries to cache what it read.
        c.store(ticket, &read, 0);
        assert!(c.get("a", 1).is_none(), "stale value cached");
        // The next reader (after the write) caches normally.
        c.store(c.ticket(), &location("a", "New"), 2);
        assert_eq!(
            c.get("a", 3).map(|l| l.location_name).as_deref(),
            Some("New")
        );
    }
}
