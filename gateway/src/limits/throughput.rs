//! Throughput shaping toward providers: one `governor` token bucket per adapter instance
//! and one per configured mobile operator. A send takes a permit from both, waiting up to
//! `limits.throughput_wait`; past that, the channel counts as throttled and routing moves
//! on. The limiter is generic over the governor clock so tests drive time by hand.

use super::OperatorThroughput;
use crate::metrics::LimitKind;
use governor::clock::{Clock, DefaultClock, FakeRelativeClock};
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::time::Duration;

/// No throughput permit came within `limits.throughput_wait`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} limit reached; next permit in {retry_after:?}: try another channel or retry then")]
pub struct Throttled {
    /// How long until the bucket that refused has a permit again.
    pub retry_after: Duration,
    /// Which bucket refused (`adapter_throughput` or `operator_throughput`), for metrics.
    pub kind: LimitKind,
}

/// A clock the shaper can also wait on.
pub(crate) trait WaitClock: Clock + Send + Sync {
    /// Lets `d` pass: a real sleep, or moving a fake clock forward.
    fn pass(&self, d: Duration) -> impl Future<Output = ()> + Send;
}

impl WaitClock for DefaultClock {
    async fn pass(&self, d: Duration) {
        tokio::time::sleep(d).await;
    }
}

impl WaitClock for FakeRelativeClock {
    /// Waiting on the fake clock advances it (shared with the test's clone), so a test
    /// sees exactly how long a send would have waited, without sleeping.
    async fn pass(&self, d: Duration) {
        self.advance(d);
    }
}

type Bucket<C> = RateLimiter<NotKeyed, InMemoryState, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// The buckets, over one clock.
pub(crate) struct Shaper<C: Clock> {
    clock: C,
    /// Longest total wait for one acquisition.
    max_wait: Duration,
    adapters: HashMap<String, Bucket<C>>,
    operators: HashMap<String, Bucket<C>>,
}

fn bucket<C: Clock + Clone>(per_second: u32, burst: u32, clock: &C) -> Bucket<C> {
    // Both are checked to be >= 1 by config validation; `max(1)` keeps this total.
    let rate = NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
    RateLimiter::direct_with_clock(Quota::per_second(rate).allow_burst(burst), clock.clone())
}

impl<C: WaitClock + Clone> Shaper<C> {
    /// Buckets for `adapters` (`name, per_second, burst`) and `operators`.
    pub(crate) fn new(
        clock: C,
        max_wait: Duration,
        adapters: &[(String, u32, u32)],
        operators: &[OperatorThroughput],
    ) -> Self {
        let adapters = adapters
            .iter()
            .map(|(name, rate, burst)| (name.clone(), bucket(*rate, *burst, &clock)))
            .collect();
        let operators = operators
            .iter()
            .map(|o| (o.id.clone(), bucket(o.per_second, o.burst, &clock)))
            .collect();
        Self {
            clock,
            max_wait,
            adapters,
            operators,
        }
    }

    /// One permit from the adapter's bucket, then one from the operator's, waiting up to
    /// `max_wait` in total. Unknown names are not shaped. If the operator's bucket then
    /// refuses, the adapter permit already taken is spent (governor cannot give it
    /// back): shaping errs on the side of sending less.
    pub(crate) async fn acquire(&self, adapter: &str, operator: &str) -> Result<(), Throttled> {
        let mut waited = Duration::ZERO;
        let steps = [
            (self.adapters.get(adapter), LimitKind::AdapterThroughput),
            (self.operators.get(operator), LimitKind::OperatorThroughput),
        ];
        for (bucket, kind) in steps {
            let Some(bucket) = bucket else { continue };
            while let Err(not_until) = bucket.check() {
                let wait = not_until.wait_time_from(self.clock.now());
                if waited + wait > self.max_wait {
                    return Err(Throttled {
                        retry_after: wait,
                        kind,
                    });
                }
                self.clock.pass(wait).await;
                waited += wait;
            }
        }
        Ok(())
    }
}

/// The shaper on the real clock or, in tests, on a fake one.
pub(crate) enum Shapers {
    Real(Shaper<DefaultClock>),
    Fake(Shaper<FakeRelativeClock>),
}

impl Shapers {
    pub(crate) async fn acquire(&self, adapter: &str, operator: &str) -> Result<(), Throttled> {
        match self {
            Shapers::Real(s) => s.acquire(adapter, operator).await,
            Shapers::Fake(s) => s.acquire(adapter, operator).await,
        }
    }
}
