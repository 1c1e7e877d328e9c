//! Rendering refusals: retry rounding, codes, statuses and the problem+json body.

use super::*;
use crate::error::ApiError;
use actix_web::ResponseError;
use actix_web::body::MessageBody;

#[test]
fn retry_after_rounds_up_to_whole_seconds() {
    for (ms, secs) in [
        (-5, 1),
        (0, 1),
        (1, 1),
        (999, 1),
        (1000, 1),
        (1001, 2),
        (59_999, 60),
        (3_600_000, 3600),
    ] {
        assert_eq!(secs_ceil(ms), secs, "{ms} ms");
    }
}

#[test]
fn limit_rejection_becomes_429_with_retry_after_header() {
    let err = ApiError::from(LimitRejection::max_send_attempts(0));
    assert_eq!(
        (err.status.as_u16(), err.code.as_str(), err.retry_after()),
        (429, "max_send_attempts", Some(1))
    );
    let resp = err.error_response();
    assert_eq!(resp.headers().get("retry-after").expect("header"), "1");
    let body: serde_json::Value =
        serde_json::from_slice(&resp.into_body().try_into_bytes().expect("body")).expect("json");
    assert_eq!(body["code"], "max_send_attempts");
    assert_eq!(body["retry_after"], 1);
    assert!(
        body["detail"]
            .as_str()
            .expect("detail")
            .contains("new verification")
    );
}

#[test]
fn used_up_checks_say_when_a_new_verification_can_start() {
    let r = LimitRejection::max_check_attempts(42);
    assert_eq!(
        (r.kind, r.status().as_u16()),
        (Some(LimitKind::VerificationChecks), 429)
    );
    let err = ApiError::from(r);
    assert_eq!(err.retry_after(), Some(42));
    assert_eq!(
        err.error_response().headers().get("retry-after").unwrap(),
        "42"
    );
    assert!(err.detail.contains("new verification in 42 s"));
    assert_eq!(
        ApiError::from(LimitRejection::max_check_attempts(0)).retry_after(),
        Some(1)
    );
}

#[test]
fn blocks_carry_no_retry_after() {
    let r = LimitRejection::operator_blocked("ru-pumping");
    assert_eq!(
        (r.kind, r.code.as_str(), r.status().as_u16()),
        (None, "operator_blocked", 403)
    );
    let err = ApiError::from(r);
    assert!(err.detail.contains("ru-pumping"));
    assert_eq!(err.title, "Destination operator blocked");
    assert_eq!(
        ApiError::from(LimitRejection::country_blocked(None))
            .status
            .as_u16(),
        403
    );
    assert_eq!(
        LimitRejection::max_send_attempts(90).kind,
        Some(LimitKind::VerificationSends)
    );
}

#[tokio::test]
async fn every_quota_code_renders_with_its_own_title() {
    let (_d, s) = store();
    let cfg = LimitsConfig {
        phone_per_hour: 1,
        location_per_minute: 1,
        ip_per_hour: 1,
        prefixes: vec![PrefixLimit {
            prefix: "+882".into(),
            per_hour: 1,
        }],
        ..Default::default()
    };
    let l = limits(cfg);
    let ip = Some("192.0.2.1");
    admit(&l, &s, subject("+882100000001", ip, "L"), T0)
        .await
        .expect("first");
    let cases = [
        // Cooldown and the hourly limit are both used up: the longer wait is named.
        (
            subject("+882100000001", None, "M"),
            T0 + SEC,
            "phone_hourly_limit",
        ),
        (
            subject("+882100000001", None, "M"),
            T0 + 2 * MIN,
            "phone_hourly_limit",
        ),
        (subject("+79990000001", ip, "M"), T0 + 2 * MIN, "ip_limit"),
        (
            subject("+79990000002", None, "L"),
            T0 + SEC,
            "location_limit",
        ),
        (
            subject("+882100000002", None, "M"),
            T0 + 2 * MIN,
            "prefix_limit",
        ),
    ];
    for (subj, now, code) in cases {
        let err = ApiError::from(denied(admit(&l, &s, subj, now).await));
        assert_eq!((err.code.as_str(), err.status.as_u16()), (code, 429));
        assert_ne!(err.title, "Limit reached", "{code} has a specific title");
        assert!(
            err.retry_after().is_some_and(|s| s >= 1),
            "{code} says when to retry"
        );
    }
}
