//! Prometheus metrics for the gateway: one [`Metrics`] value owns an explicit registry
//! (never the process-global default one) with every family the gateway exports, typed
//! recording methods for the request path, and [`Metrics::render`] for `GET /metrics`.
//!
//! Label values are bounded by construction: outcomes, results, purposes, encodings,
//! limits and methods are enums ([`labels`]); channels and delivery statuses are the
//! SDK's enums; `route` is the route *pattern* (`/v1/messages/{id}`), `unmatched` when
//! none matched; `adapter`, `operator` and `rule` are configured names, validated and
//! capped by [`guard`]. A phone, an id, a code or free text can never become a label.
//! `docs/operations.md` documents every family and the example alerts built on them.

mod families;
pub mod guard;
pub mod labels;
mod record;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use prometheus::{Registry, TextEncoder};

pub use families::{HTTP_BUCKETS, SEGMENT_BUCKETS, SEND_BUCKETS};
pub use labels::{
    CheckResult, Encoding, HttpMethod, LimitKind, MessageOutcome, Purpose, VerificationOutcome,
};
pub use record::InflightGuard;

use families::Families;
use guard::{MAX_VALUES_PER_LABEL, ValueSet};

/// `Content-Type` of [`Metrics::render`]'s output (Prometheus text format 0.0.4).
pub const CONTENT_TYPE: &str = prometheus::TEXT_FORMAT;

/// The gateway's metrics. Cloning is cheap (one `Arc`); clones record into the same
/// registry, so build one at start-up and hand clones to every component.
#[derive(Debug, Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The explicit registry `render` gathers from; tests get a fresh one each.
    registry: Registry,
    /// Typed handles on every gateway family.
    families: Families,
    /// Every exported series name, computed once at construction.
    names: Vec<String>,
    /// Distinct `route` values admitted so far.
    routes: ValueSet,
    /// Distinct adapter instance names (`adapter`, `from`, `to`) admitted so far.
    adapters: ValueSet,
    /// Distinct `operator` values admitted so far.
    operators: ValueSet,
    /// Distinct `rule` values admitted so far.
    rules: ValueSet,
}

impl Metrics {
    /// Builds every family on a new registry, sets `gateway_build_info{version, abi}` to
    /// 1, registers the process collector (Linux), and seeds the enum-labelled counters at
    /// zero so rates and ratios exist before the first event.
    pub fn new(version: &str, abi: u32) -> Metrics {
        let registry = Registry::new();
        let (families, names) = families::register(&registry);
        families
            .build_info
            .with_label_values(&[version, &abi.to_string()])
            .set(1);
        for limit in LimitKind::ALL {
            families.rate_limited.with_label_values(&[limit.as_str()]);
        }
        for result in CheckResult::ALL {
            families
                .verification_checks
                .with_label_values(&[result.as_str()]);
        }
        for purpose in Purpose::ALL {
            for outcome in VerificationOutcome::ALL {
                families
                    .verifications
                    .with_label_values(&[purpose.as_str(), outcome.as_str()]);
            }
        }
        for encoding in Encoding::ALL {
            families
                .message_encoding
                .with_label_values(&[encoding.as_str()]);
        }
        let inner = Inner {
            registry,
            families,
            names,
            routes: ValueSet::new(MAX_VALUES_PER_LABEL),
            adapters: ValueSet::new(MAX_VALUES_PER_LABEL),
            operators: ValueSet::new(MAX_VALUES_PER_LABEL),
            rules: ValueSet::new(MAX_VALUES_PER_LABEL),
        };
        Metrics {
            inner: Arc::new(inner),
        }
    }

    /// The registry, for registering extra collectors next to the gateway's own.
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// Every family in Prometheus text format 0.0.4 (serve with [`CONTENT_TYPE`]).
    pub fn render(&self) -> String {
        TextEncoder::new()
            .encode_to_string(&self.inner.registry.gather())
            .unwrap_or_else(|error| {
                // Only a malformed family can fail to encode; every family here is built
                // from valid constants, so this is a bug worth an error line, not a panic.
                tracing::error!(%error, "cannot encode metrics");
                String::new()
            })
    }

    /// Every series name this registry can export, whether or not it has samples yet:
    /// each family's name, plus `_bucket`, `_sum` and `_count` for histograms, plus the
    /// `process_*` families. Dashboards and alerts may use only these.
    pub fn metric_names(&self) -> Vec<String> {
        self.inner.names.clone()
    }
}
