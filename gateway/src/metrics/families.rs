//! The metric families the gateway exports: names, HELP texts, label names and
//! histogram buckets, all registered on one explicit registry. Also records each
//! family's exported series names for [`super::Metrics::metric_names`].

use prometheus::core::Collector;
use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry};

/// HTTP latency buckets (seconds): 1 ms to 10 s, dense in the ms range where the
/// gateway's own handling lives.
pub const HTTP_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Provider call buckets (seconds): 5 ms to 30 s, the longest sensible send deadline.
pub const SEND_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0,
];
/// Segments per message: 1 to 10 (a code should always be 1).
pub const SEGMENT_BUCKETS: &[f64] = &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];

/// Every gateway-specific family, typed.
#[derive(Debug, Clone)]
pub(crate) struct Families {
    pub(crate) http_requests: IntCounterVec,
    pub(crate) http_duration: HistogramVec,
    pub(crate) messages: IntCounterVec,
    pub(crate) adapter_send_duration: HistogramVec,
    pub(crate) adapter_up: IntGaugeVec,
    pub(crate) adapter_inflight: IntGaugeVec,
    pub(crate) message_segments: HistogramVec,
    pub(crate) message_encoding: IntCounterVec,
    pub(crate) render_rules: IntCounterVec,
    pub(crate) fallbacks: IntCounterVec,
    pub(crate) rate_limited: IntCounterVec,
    pub(crate) verifications: IntCounterVec,
    pub(crate) verification_checks: IntCounterVec,
    pub(crate) delivery_reports: IntCounterVec,
    pub(crate) build_info: IntGaugeVec,
}

/// Registers collectors on a registry and remembers the series names they export.
struct Builder<'a> {
    registry: &'a Registry,
    names: Vec<String>,
}

impl Builder<'_> {
    fn add<C: Collector + Clone + 'static>(&mut self, collector: C, histogram: bool) -> C {
        self.add_boxed(Box::new(collector.clone()), histogram);
        collector
    }

    fn add_boxed(&mut self, collector: Box<dyn Collector>, histogram: bool) {
        for desc in collector.desc() {
            self.names.push(desc.fq_name.clone());
            if histogram {
                for suffix in ["_bucket", "_sum", "_count"] {
                    self.names.push(format!("{}{suffix}", desc.fq_name));
                }
            }
        }
        self.registry
            .register(collector)
            .expect("metric family names are unique and valid");
    }

    fn counter(&mut self, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
        let vec = IntCounterVec::new(Opts::new(name, help), labels)
            .expect("counter name, help and labels are valid");
        self.add(vec, false)
    }

    fn gauge(&mut self, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
        let vec = IntGaugeVec::new(Opts::new(name, help), labels)
            .expect("gauge name, help and labels are valid");
        self.add(vec, false)
    }

    fn histogram(
        &mut self,
        name: &str,
        help: &str,
        labels: &[&str],
        buckets: &[f64],
    ) -> HistogramVec {
        let opts = HistogramOpts::new(name, help).buckets(buckets.to_vec());
        let vec = HistogramVec::new(opts, labels).expect("histogram name, help, buckets are valid");
        self.add(vec, true)
    }
}

/// Creates and registers every family; returns them with the exported series names.
pub(crate) fn register(registry: &Registry) -> (Families, Vec<String>) {
    let mut b = Builder {
        registry,
        names: Vec::new(),
    };
    let families = Families {
        http_requests: b.counter(
            "gateway_http_requests_total",
            "HTTP requests answered, by route pattern, method and status code.",
            &["route", "method", "status"],
        ),
        http_duration: b.histogram(
            "gateway_http_request_duration_seconds",
            "Time from request received to response written, by route pattern.",
            &["route"],
            HTTP_BUCKETS,
        ),
        messages: b.counter(
            "gateway_messages_total",
            "Send attempts on an adapter instance, by channel, destination operator and outcome.",
            &["adapter", "channel", "operator", "outcome"],
        ),
        adapter_send_duration: b.histogram(
            "gateway_adapter_send_duration_seconds",
            "Duration of adapter send calls (until the provider answered or the deadline passed).",
            &["adapter"],
            SEND_BUCKETS,
        ),
        adapter_up: b.gauge(
            "gateway_adapter_up",
            "1 if the adapter instance reported healthy at its last health check, else 0.",
            &["adapter"],
        ),
        adapter_inflight: b.gauge(
            "gateway_adapter_inflight",
            "Send calls currently in progress on the adapter instance.",
            &["adapter"],
        ),
        message_segments: b.histogram(
            "gateway_message_segments",
            "SMS segments per rendered message, by channel.",
            &["channel"],
            SEGMENT_BUCKETS,
        ),
        message_encoding: b.counter(
            "gateway_message_encoding_total",
            "Rendered messages by text encoding (gsm7 or ucs2).",
            &["encoding"],
        ),
        render_rules: b.counter(
            "gateway_render_rules_total",
            "Operator or fitting rules applied while rendering a message, by rule name.",
            &["rule"],
        ),
        fallbacks: b.counter(
            "gateway_fallbacks_total",
            "Times routing moved from one adapter instance to the next after a failure.",
            &["from", "to"],
        ),
        rate_limited: b.counter(
            "gateway_rate_limited_total",
            "Requests rejected or delayed by a limit, by limit name.",
            &["limit"],
        ),
        verifications: b.counter(
            "gateway_verifications_total",
            "Verification lifecycle events, by purpose and outcome.",
            &["purpose", "outcome"],
        ),
        verification_checks: b.counter(
            "gateway_verification_checks_total",
            "Code checks against verifications, by result.",
            &["result"],
        ),
        delivery_reports: b.counter(
            "gateway_delivery_reports_total",
            "Delivery reports received from providers, by adapter instance and status.",
            &["adapter", "status"],
        ),
        build_info: b.gauge(
            "gateway_build_info",
            "Always 1; labels carry the gateway version and the adapter SDK ABI version.",
            &["version", "abi"],
        ),
    };
    #[cfg(target_os = "linux")]
    b.add_boxed(
        Box::new(prometheus::process_collector::ProcessCollector::for_self()),
        false,
    );
    (families, b.names)
}
