use std::time::Duration;

use gateway_sdk::{AdapterError, Channel, DeliveryStatus};
use prometheus::proto::MetricFamily;

use super::guard::{self, INVALID, MAX_VALUES_PER_LABEL, OVERFLOW, UNMATCHED_ROUTE, ValueSet};
use super::*;

const PHONE: &str = "+79991234567";
const PHONE_DIGITS: &str = "79991234567";

fn families(m: &Metrics) -> Vec<MetricFamily> {
    m.registry().gather()
}

/// Label values of one label across all series of one family.
fn label_values(m: &Metrics, family: &str, label: &str) -> Vec<String> {
    families(m)
        .iter()
        .filter(|f| f.name() == family)
        .flat_map(|f| f.get_metric().iter())
        .flat_map(|s| s.get_label().iter())
        .filter(|l| l.name() == label)
        .map(|l| l.value().to_owned())
        .collect()
}

/// Records one phone-like or id-like value through every API that takes a name.
fn record_hostile(m: &Metrics, value: &str) {
    m.observe_http_request(Some(value), value, 200, Duration::from_millis(3));
    m.record_message(value, Channel::Sms, Some(value), MessageOutcome::Sent);
    m.observe_adapter_send(value, Duration::from_millis(40));
    m.set_adapter_up(value, true);
    drop(m.adapter_inflight(value));
    m.record_render_rule(value);
    m.record_fallback(value, value);
    m.record_delivery_report(value, DeliveryStatus::Delivered);
}

#[test]
fn enum_label_values_are_distinct_snake_case_words() {
    let mut all: Vec<&str> = Vec::new();
    all.extend(MessageOutcome::ALL.iter().map(|v| v.as_str()));
    all.extend(VerificationOutcome::ALL.iter().map(|v| v.as_str()));
    all.extend(CheckResult::ALL.iter().map(|v| v.as_str()));
    all.extend(Purpose::ALL.iter().map(|v| v.as_str()));
    all.extend(Encoding::ALL.iter().map(|v| v.as_str()));
    all.extend(LimitKind::ALL.iter().map(|v| v.as_str()));
    for value in all {
        assert!(guard::is_name(value), "{value} is not a bounded name");
        assert_eq!(value, value.to_lowercase(), "{value} is not lowercase");
    }
    assert_eq!(MessageOutcome::ALL.len(), 7);
    assert_eq!(VerificationOutcome::Cancelled.to_string(), "cancelled");
    assert_eq!(CheckResult::MaxAttempts.as_str(), "max_attempts");
}

#[test]
fn adapter_errors_map_to_outcomes() {
    assert_eq!(
        MessageOutcome::from_error(&AdapterError::rejected("x")),
        MessageOutcome::Rejected
    );
    assert_eq!(
        MessageOutcome::from_error(&AdapterError::unreachable("x")),
        MessageOutcome::Unreachable
    );
    assert_eq!(
        MessageOutcome::from_error(&AdapterError::transient("x")),
        MessageOutcome::Failed
    );
    assert_eq!(
        MessageOutcome::from_error(&AdapterError::config("x")),
        MessageOutcome::Failed
    );
    assert_eq!(
        MessageOutcome::from_error(&AdapterError::account("insufficient funds")),
        MessageOutcome::Account
    );
    let timeout = AdapterError::Timeout {
        message: "x".into(),
    };
    assert_eq!(
        MessageOutcome::from_error(&timeout),
        MessageOutcome::Timeout
    );
    let throttled = AdapterError::Throttled {
        message: "x".into(),
        retry_after_ms: None,
    };
    assert_eq!(
        MessageOutcome::from_error(&throttled),
        MessageOutcome::Throttled
    );
}

#[test]
fn names_refuse_phones_ids_and_text() {
    for good in [
        "sms-main",
        "ru-megafon",
        "title_required_by_operator",
        "tg2",
        "a.b",
    ] {
        assert!(guard::is_name(good), "{good}");
    }
    let long = "a".repeat(65);
    for bad in [
        PHONE,
        PHONE_DIGITS,
        "",
        "8 (999) 123-45-67",
        "482193",
        "01HXYZ",
        "two words",
        &long,
    ] {
        assert!(!guard::is_name(bad), "{bad}");
    }
}

#[test]
fn routes_must_be_patterns() {
    for good in [
        "/",
        "/healthz",
        "/openapi.json",
        "/v1/messages/{id}",
        "/v1/verifications/{id}/check",
    ] {
        assert!(guard::is_route_pattern(good), "{good}");
    }
    for bad in [
        "",
        "v1/messages",
        "/v1/locations/42",
        "/v1/messages/msg_01HX",
        "/v1/x/{Id}",
        "/a//b",
        "/v1/p/+7999",
    ] {
        assert!(!guard::is_route_pattern(bad), "{bad}");
    }
    let set = ValueSet::new(4);
    assert_eq!(set.route(None), UNMATCHED_ROUTE);
    assert_eq!(set.route(Some("/v1/locations/42")), INVALID);
    assert_eq!(set.route(Some("/v1/messages")), "/v1/messages");
}

#[test]
fn value_sets_cap_distinct_values_but_keep_known_ones() {
    let set = ValueSet::new(MAX_VALUES_PER_LABEL);
    let names: Vec<String> = (0..MAX_VALUES_PER_LABEL)
        .map(|i| format!("adapter-{i}"))
        .collect();
    for name in &names {
        assert_eq!(set.name(name), name);
    }
    assert_eq!(set.name("one-too-many"), OVERFLOW);
    assert_eq!(set.name(&names[7]), names[7]);
    assert_eq!(set.name(PHONE), INVALID);
}

#[test]
fn hostile_values_never_reach_a_label() {
    let m = Metrics::new("0.1.0", 1);
    for value in [PHONE, PHONE_DIGITS, "482193", "/v1/messages/msg_01HX"] {
        record_hostile(&m, value);
    }
    m.observe_http_request(None, "BREW", 999, Duration::from_millis(1));
    let text = m.render();
    assert!(!text.contains(PHONE_DIGITS), "a phone leaked into:\n{text}");
    assert!(!text.contains("482193"));
    for family in families(&m) {
        for series in family.get_metric() {
            for label in series.get_label() {
                let (name, value) = (label.name(), label.value());
                assert!(!value.contains('+'), "{name}={value} in {}", family.name());
                assert!(value.len() <= guard::MAX_NAME_LEN, "{name}={value}");
                // HTTP status codes and the ABI number are the only numeric labels.
                if !matches!(name, "status" | "abi") {
                    assert!(!value.bytes().all(|b| b.is_ascii_digit()), "{name}={value}");
                }
            }
        }
    }
    assert_eq!(
        label_values(&m, "gateway_adapter_up", "adapter"),
        vec![INVALID]
    );
    let mut methods = label_values(&m, "gateway_http_requests_total", "method");
    methods.sort();
    methods.dedup();
    assert_eq!(methods, vec!["other"]);
    assert!(
        label_values(&m, "gateway_http_requests_total", "status").contains(&INVALID.to_owned())
    );
}

#[test]
fn clones_share_one_registry_and_inflight_guards_release() {
    let m = Metrics::new("0.1.0", 1);
    let clone = m.clone();
    let first = clone.adapter_inflight("sms-main");
    let second = m.adapter_inflight("sms-main");
    let inflight = |m: &Metrics| {
        families(m)
            .iter()
            .find(|f| f.name() == "gateway_adapter_inflight")
            .map(|f| f.get_metric()[0].get_gauge().get_value())
    };
    assert_eq!(inflight(&m), Some(2.0));
    drop(first);
    assert_eq!(inflight(&m), Some(1.0));
    drop(second);
    assert_eq!(inflight(&m), Some(0.0));
    // A second, independent Metrics does not see the first one's samples.
    assert_eq!(inflight(&Metrics::new("0.1.0", 1)), None);
}

#[test]
fn metric_names_cover_families_before_any_sample() {
    let m = Metrics::new("9.9.9", 3);
    let names = m.metric_names();
    for name in [
        "gateway_messages_total",
        "gateway_message_segments_bucket",
        "gateway_http_request_duration_seconds_count",
        "gateway_adapter_send_duration_seconds_sum",
        "gateway_build_info",
    ] {
        assert!(
            names.iter().any(|n| n == name),
            "{name} missing from {names:?}"
        );
    }
    #[cfg(target_os = "linux")]
    assert!(names.iter().any(|n| n == "process_resident_memory_bytes"));
    assert!(
        m.render()
            .contains(r#"gateway_build_info{abi="3",version="9.9.9"} 1"#)
    );
}

#[test]
fn segments_use_one_to_ten_buckets() {
    let m = Metrics::new("0.1.0", 1);
    m.observe_segments(Channel::Sms, 2);
    let family = families(&m)
        .into_iter()
        .find(|f| f.name() == "gateway_message_segments");
    let histogram = family.expect("segments family present").get_metric()[0]
        .get_histogram()
        .clone();
    let bounds: Vec<f64> = histogram
        .get_bucket()
        .iter()
        .map(|b| b.upper_bound())
        .collect();
    assert_eq!(bounds, SEGMENT_BUCKETS);
    let counts: Vec<u64> = histogram
        .get_bucket()
        .iter()
        .map(|b| b.cumulative_count())
        .collect();
    assert_eq!(counts[..3], [0, 1, 1]);
}
