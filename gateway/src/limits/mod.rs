//! Rate limits and the SMS-pumping guard, in one place the send path asks before it
//! spends money: geo rules ([`Limits::check_geo`]), quotas counted in the store
//! ([`Limits::admit_send`]: resend cooldown, per phone, client IP, location and risky
//! prefix, all-or-nothing) and in-process throughput shaping toward each adapter
//! instance and mobile operator ([`Limits::acquire_throughput`]). Every refusal is a
//! [`LimitRejection`] naming its [`crate::metrics::LimitKind`] and when to retry.
//! `docs/limits.md` lists every limit for operators and API callers.

mod config;
mod quota;
mod rejection;
mod shared;
#[cfg(test)]
mod tests;
mod throughput;

pub use config::{
    LimitsConfig, LimitsConfigError, OperatorThroughput, PrefixLimit, ThroughputScope,
};
pub use quota::{Admitted, SendSubject};
pub use rejection::{LimitRejection, secs_ceil};
pub use throughput::Throttled;

use governor::clock::{DefaultClock, FakeRelativeClock};
use std::collections::HashSet;
use std::time::Duration;
use throughput::{Shaper, Shapers};

/// The gateway's limits, built once from `[limits]` and the adapters' throughput, and
/// shared via `Arc` (it is `Send + Sync`; the throughput buckets are lock-free).
pub struct Limits {
    /// The validated configuration (region codes upper-cased).
    cfg: LimitsConfig,
    /// Risky prefixes, longest first so the first match is the longest.
    prefixes: Vec<PrefixLimit>,
    /// QA numbers that bypass quotas.
    test_numbers: HashSet<String>,
    /// Token buckets per adapter instance and operator.
    shapers: Shapers,
    /// The same rates, for buckets kept in the shared store (`throughput_scope = "cluster"`).
    shared: shared::SharedRates,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Test numbers are phones: the count is enough.
        f.debug_struct("Limits")
            .field("prefixes", &self.prefixes)
            .field("test_numbers", &self.test_numbers.len())
            .finish_non_exhaustive()
    }
}

impl Limits {
    /// Builds the limits on the real clock. `adapters` are the loaded adapter instances
    /// as `(name, per_second, burst)`.
    pub fn new(
        cfg: &LimitsConfig,
        adapters: &[(String, u32, u32)],
    ) -> Result<Limits, LimitsConfigError> {
        let cfg = validate(cfg, adapters)?;
        let shaper = Shaper::new(
            DefaultClock::default(),
            cfg.throughput_wait,
            adapters,
            &cfg.operators,
        );
        Ok(Self::assemble(cfg, Shapers::Real(shaper), adapters))
    }

    /// Like [`Limits::new`], with throughput on a fake clock the caller advances; a
    /// send that waits for a permit advances it by the wait. For tests.
    pub fn with_clock(
        cfg: &LimitsConfig,
        adapters: &[(String, u32, u32)],
        clock: FakeRelativeClock,
    ) -> Result<Limits, LimitsConfigError> {
        let cfg = validate(cfg, adapters)?;
        let shaper = Shaper::new(clock, cfg.throughput_wait, adapters, &cfg.operators);
        Ok(Self::assemble(cfg, Shapers::Fake(shaper), adapters))
    }

    fn assemble(cfg: LimitsConfig, shapers: Shapers, adapters: &[(String, u32, u32)]) -> Limits {
        let mut prefixes = cfg.prefixes.clone();
        prefixes.sort_by_key(|p| std::cmp::Reverse(p.prefix.len()));
        let test_numbers = cfg.test_numbers.iter().cloned().collect();
        let shared = shared::SharedRates::new(adapters, &cfg.operators);
        Limits {
            cfg,
            prefixes,
            test_numbers,
            shapers,
            shared,
        }
    }

    /// The validated configuration.
    pub fn config(&self) -> &LimitsConfig {
        &self.cfg
    }

    /// Whether `e164` is an allow-listed QA number that bypasses quotas.
    pub fn is_test_number(&self, e164: &str) -> bool {
        self.test_numbers.contains(e164)
    }

    /// The least time between two sends to one phone.
    pub fn resend_cooldown(&self) -> Duration {
        self.cfg.resend_cooldown
    }

    /// `403 country_blocked` unless the destination region may be sent to. With an
    /// allow-list, an unknown region (`None`) is refused too.
    pub fn check_geo(&self, region: Option<&str>) -> Result<(), LimitRejection> {
        let allowed = &self.cfg.allowed_countries;
        let denied = &self.cfg.denied_countries;
        let ok = match region {
            None => allowed.is_empty(),
            Some(r) => {
                let listed = |list: &[String]| list.iter().any(|c| c.eq_ignore_ascii_case(r));
                (allowed.is_empty() || listed(allowed)) && !listed(denied)
            }
        };
        if ok {
            Ok(())
        } else {
            Err(LimitRejection::country_blocked(region))
        }
    }

    /// Throughput shaping with `governor`: a permit from the adapter instance's bucket
    /// and from the operator's (if configured), waiting up to
    /// `limits.throughput_wait`, else [`Throttled`] with the time to the next permit.
    pub async fn acquire_throughput(&self, adapter: &str, operator: &str) -> Result<(), Throttled> {
        self.shapers.acquire(adapter, operator).await
    }

    /// Throughput shaping where `limits.throughput_scope` says: in this process
    /// ([`Limits::acquire_throughput`]), or in buckets `store` shares with every
    /// instance (waiting up to `limits.throughput_wait` in total; `now` reads the
    /// gateway's clock after each wait).
    pub async fn acquire_throughput_scoped(
        &self,
        store: &dyn crate::store::Store,
        adapter: &str,
        operator: &str,
        now: &(dyn Fn() -> crate::store::Millis + Send + Sync),
    ) -> Result<Result<(), Throttled>, crate::store::StoreError> {
        match self.cfg.throughput_scope {
            ThroughputScope::Instance => Ok(self.acquire_throughput(adapter, operator).await),
            ThroughputScope::Cluster => {
                self.shared
                    .acquire(store, self.cfg.throughput_wait, adapter, operator, now)
                    .await
            }
        }
    }
}

/// Validates `[limits]` and the adapters' throughput (keys `adapters.<name>.*`).
fn validate(
    cfg: &LimitsConfig,
    adapters: &[(String, u32, u32)],
) -> Result<LimitsConfig, LimitsConfigError> {
    let validated = cfg.validate()?;
    let mut names = HashSet::new();
    for (name, per_second, burst) in adapters {
        let key = format!("adapters.{name}");
        if !names.insert(name.as_str()) {
            return Err(LimitsConfigError::Invalid {
                key,
                message: "adapter instance listed twice".into(),
            });
        }
        config::check_rate(&key, *per_second, *burst)?;
    }
    Ok(validated)
}
