//! Late fallback bookkeeping: which sent messages may still be re-sent through their
//! location's next channel when a delivery report says `failed`/`undelivered` late.
//! A message is remembered at send time with the index of the channel that carried
//! it; the first failure report inside the window claims it (once), anything later,
//! a second report, or a message sent by the last channel gets nothing. The
//! registry is pure bookkeeping driven by the [`Clock`](crate::clock::Clock)'s time,
//! so the window and once rules are tested without sleeping. Not yet wired to the
//! report path (issue #19, part 3).

use std::collections::HashMap;
use std::sync::Mutex;
use time::{Duration, OffsetDateTime};

/// What the report path should do for a late failure of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LateFallback {
    /// Re-send through the channel at this index of the location's list.
    Resend {
        /// Index (in the location's channel list) of the next channel to try.
        next_channel: usize,
    },
    /// Nothing to do: unknown message, already claimed, window closed or last channel.
    Nothing,
}

#[derive(Debug, Clone, Copy)]
struct Pending {
    sent_at: OffsetDateTime,
    channel: usize,
    channels: usize,
}

/// Messages still eligible for one late fallback, keyed by message id.
#[derive(Debug)]
pub struct LateFallbacks {
    window: Duration,
    pending: Mutex<HashMap<String, Pending>>,
}

impl LateFallbacks {
    /// An empty registry whose entries expire `window` after their send.
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            pending: Mutex::new(HashMap::new()),
        }
    }

    /// Remembers that `message_id` was carried at `sent_at` by channel `channel` of a
    /// location listing `channels` channels. Nothing is kept for the last channel.
    pub fn remember(
        &self,
        message_id: &str,
        sent_at: OffsetDateTime,
        channel: usize,
        channels: usize,
    ) {
        if channel + 1 >= channels {
            return;
        }
        let entry = Pending {
            sent_at,
            channel,
            channels,
        };
        self.lock().insert(message_id.to_owned(), entry);
    }

    /// Claims the fallback for `message_id` at `now`: at most once, only inside the
    /// window. The entry is dropped either way.
    pub fn claim(&self, message_id: &str, now: OffsetDateTime) -> LateFallback {
        let Some(p) = self.lock().remove(message_id) else {
            return LateFallback::Nothing;
        };
        if now - p.sent_at > self.window || p.channel + 1 >= p.channels {
            return LateFallback::Nothing;
        }
        LateFallback::Resend {
            next_channel: p.channel + 1,
        }
    }

    /// Drops every entry whose window closed before `now`; returns how many.
    pub fn expire(&self, now: OffsetDateTime) -> usize {
        let mut pending = self.lock();
        let before = pending.len();
        pending.retain(|_, p| now - p.sent_at <= self.window);
        before - pending.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Pending>> {
        // A panic while holding the lock cannot leave a half-written map entry, so a
        // poisoned lock is still safe to use.
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};

    fn registry() -> (LateFallbacks, ManualClock) {
        (
            LateFallbacks::new(Duration::seconds(120)),
            ManualClock::at_epoch(),
        )
    }

    #[test]
    fn failure_inside_window_resends_once_through_next_channel() {
        let (r, clock) = registry();
        r.remember("m1", clock.now(), 0, 2);
        clock.advance_secs(119);
        assert_eq!(
            r.claim("m1", clock.now()),
            LateFallback::Resend { next_channel: 1 }
        );
        assert_eq!(r.claim("m1", clock.now()), LateFallback::Nothing);
    }

    #[test]
    fn failure_after_window_does_nothing() {
        let (r, clock) = registry();
        r.remember("m1", clock.now(), 0, 3);
        clock.advance_secs(121);
        assert_eq!(r.claim("m1", clock.now()), LateFallback::Nothing);
    }

    #[test]
    fn last_channel_and_unknown_messages_do_nothing() {
        let (r, clock) = registry();
        r.remember("m1", clock.now(), 1, 2);
        assert_eq!(r.claim("m1", clock.now()), LateFallback::Nothing);
        assert_eq!(r.claim("other", clock.now()), LateFallback::Nothing);
    }

    #[test]
    fn expire_drops_only_closed_windows() {
        let (r, clock) = registry();
        r.remember("old", clock.now(), 0, 2);
        clock.advance_secs(100);
        r.remember("new", clock.now(), 1, 3);
        clock.advance_secs(30);
        assert_eq!(r.expire(clock.now()), 1);
        assert_eq!(r.claim("old", clock.now()), LateFallback::Nothing);
        assert_eq!(
            r.claim("new", clock.now()),
            LateFallback::Resend { next_channel: 2 }
        );
    }
}
