//! Throughput buckets shared by every instance (`limits.throughput_scope = "cluster"`):
//! the same rates as the in-process buckets (`throughput.rs`), kept in the store as
//! GCRA buckets ([`Store::rate_acquire`]), so N instances together send at most the
//! configured rate. A send takes the adapter's permit, then the operator's, waiting up
//! to `limits.throughput_wait` in total; as in-process, a permit taken before a later
//! bucket refuses is spent (shaping errs toward sending less).

use super::OperatorThroughput;
use super::throughput::Throttled;
use crate::metrics::LimitKind;
use crate::store::{Millis, Store, StoreError};
use std::collections::HashMap;
use std::time::Duration;

/// `(per_second, burst)` per adapter instance and per operator.
pub(super) struct SharedRates {
    adapters: HashMap<String, (u32, u32)>,
    operators: HashMap<String, (u32, u32)>,
}

impl SharedRates {
    pub(super) fn new(adapters: &[(String, u32, u32)], operators: &[OperatorThroughput]) -> Self {
        Self {
            adapters: adapters
                .iter()
                .map(|(n, r, b)| (n.clone(), (*r, *b)))
                .collect(),
            operators: operators
                .iter()
                .map(|o| (o.id.clone(), (o.per_second, o.burst)))
                .collect(),
        }
    }

    pub(super) async fn acquire(
        &self,
        store: &dyn Store,
        max_wait: Duration,
        adapter: &str,
        operator: &str,
        now: &(dyn Fn() -> Millis + Send + Sync),
    ) -> Result<Result<(), Throttled>, StoreError> {
        let mut waited = Duration::ZERO;
        let steps = [
            (
                self.adapters.get(adapter),
                format!("adapter:{adapter}"),
                LimitKind::AdapterThroughput,
            ),
            (
                self.operators.get(operator),
                format!("operator:{operator}"),
                LimitKind::OperatorThroughput,
            ),
        ];
        for (rate, key, kind) in steps {
            let Some(&(per_second, burst)) = rate else {
                continue;
            };
            loop {
                let wait_ms = match store.rate_acquire(&key, per_second, burst, now()).await? {
                    Ok(()) => break,
                    Err(ms) => ms,
                };
                let wait = Duration::from_millis(u64::try_from(wait_ms).unwrap_or(0).max(1));
                if waited + wait > max_wait {
                    return Ok(Err(Throttled {
                        retry_after: wait,
                        kind,
                    }));
                }
                tokio::time::sleep(wait).await;
                waited += wait;
            }
        }
        Ok(Ok(()))
    }
}
