//! Recording methods: one small method per event on the request path. Each takes typed
//! values or configured names, never raw request data, and applies the label guards.

use std::time::Duration;

use gateway_sdk::{Channel, DeliveryStatus};
use prometheus::IntGauge;

use super::Metrics;
use super::guard::{INVALID, UNKNOWN_OPERATOR};
use super::labels::{
    CheckResult, Encoding, HttpMethod, LimitKind, MessageOutcome, Purpose, VerificationOutcome,
};

/// Decrements `gateway_adapter_inflight` when dropped; hold it for the send call.
#[must_use = "the in-flight count drops back as soon as the guard is dropped"]
#[derive(Debug)]
pub struct InflightGuard {
    /// The adapter's in-flight gauge, already incremented.
    gauge: IntGauge,
}

impl Drop for InflightGuard {
    fn drop(&mut self) {
        self.gauge.dec();
    }
}

/// HTTP status as a label: the three-digit code, or `invalid` outside 100..=599.
fn status_label(status: u16) -> String {
    if (100..=599).contains(&status) {
        status.to_string()
    } else {
        INVALID.to_owned()
    }
}

impl Metrics {
    /// One answered HTTP request. `route` is `HttpRequest::match_pattern()` (`None` when
    /// no route matched; a concrete path is refused as `invalid`); `method` is the method
    /// name (`"GET"`); `status` the response code.
    pub fn observe_http_request(
        &self,
        route: Option<&str>,
        method: &str,
        status: u16,
        elapsed: Duration,
    ) {
        let f = &self.inner.families;
        let route = self.inner.routes.route(route);
        let method = HttpMethod::parse(method).as_str();
        f.http_requests
            .with_label_values(&[route, method, &status_label(status)])
            .inc();
        f.http_duration
            .with_label_values(&[route])
            .observe(elapsed.as_secs_f64());
    }

    /// One send attempt on an adapter instance. `operator` is the destination operator's
    /// configured id (`ru-megafon`), `None` when unknown.
    pub fn record_message(
        &self,
        adapter: &str,
        channel: Channel,
        operator: Option<&str>,
        outcome: MessageOutcome,
    ) {
        let adapter = self.inner.adapters.name(adapter);
        let operator = operator.map_or(UNKNOWN_OPERATOR, |o| self.inner.operators.name(o));
        self.inner
            .families
            .messages
            .with_label_values(&[adapter, channel.as_str(), operator, outcome.as_str()])
            .inc();
    }

    /// How long one adapter send call took (success or not).
    pub fn observe_adapter_send(&self, adapter: &str, elapsed: Duration) {
        let adapter = self.inner.adapters.name(adapter);
        self.inner
            .families
            .adapter_send_duration
            .with_label_values(&[adapter])
            .observe(elapsed.as_secs_f64());
    }

    /// The adapter instance's latest health (call at load and after each health check).
    pub fn set_adapter_up(&self, adapter: &str, up: bool) {
        let adapter = self.inner.adapters.name(adapter);
        self.inner
            .families
            .adapter_up
            .with_label_values(&[adapter])
            .set(i64::from(up));
        // Make the in-flight series exist at 0 from load time on.
        self.inner
            .families
            .adapter_inflight
            .with_label_values(&[adapter]);
    }

    /// Counts one send in flight on the adapter until the returned guard is dropped.
    pub fn adapter_inflight(&self, adapter: &str) -> InflightGuard {
        let adapter = self.inner.adapters.name(adapter);
        let gauge = self
            .inner
            .families
            .adapter_inflight
            .with_label_values(&[adapter]);
        gauge.inc();
        InflightGuard { gauge }
    }

    /// Segments of one rendered message on `channel`.
    pub fn observe_segments(&self, channel: Channel, segments: u32) {
        self.inner
            .families
            .message_segments
            .with_label_values(&[channel.as_str()])
            .observe(f64::from(segments));
    }

    /// The encoding of one rendered message.
    pub fn record_encoding(&self, encoding: Encoding) {
        self.inner
            .families
            .message_encoding
            .with_label_values(&[encoding.as_str()])
            .inc();
    }

    /// One rendering rule applied, by its configured name (`title_required_by_operator`).
    pub fn record_render_rule(&self, rule: &str) {
        let rule = self.inner.rules.name(rule);
        self.inner
            .families
            .render_rules
            .with_label_values(&[rule])
            .inc();
    }

    /// Routing moved from adapter instance `from` to the next one, `to`.
    pub fn record_fallback(&self, from: &str, to: &str) {
        let from = self.inner.adapters.name(from);
        let to = self.inner.adapters.name(to);
        self.inner
            .families
            .fallbacks
            .with_label_values(&[from, to])
            .inc();
    }

    /// One request rejected (or delayed) by `limit`.
    pub fn record_rate_limited(&self, limit: LimitKind) {
        self.inner
            .families
            .rate_limited
            .with_label_values(&[limit.as_str()])
            .inc();
    }

    /// One verification lifecycle event.
    pub fn record_verification(&self, purpose: Purpose, outcome: VerificationOutcome) {
        self.inner
            .families
            .verifications
            .with_label_values(&[purpose.as_str(), outcome.as_str()])
            .inc();
    }

    /// One code check.
    pub fn record_verification_check(&self, result: CheckResult) {
        self.inner
            .families
            .verification_checks
            .with_label_values(&[result.as_str()])
            .inc();
    }

    /// One delivery report accepted from a provider for an adapter instance.
    pub fn record_delivery_report(&self, adapter: &str, status: DeliveryStatus) {
        let adapter = self.inner.adapters.name(adapter);
        self.inner
            .families
            .delivery_reports
            .with_label_values(&[adapter, status.as_str()])
            .inc();
    }
}
