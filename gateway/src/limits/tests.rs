//! Quota tests against a real SQLite store in a temp dir, with `now` passed explicitly.
//! Throughput, configuration and rejection rendering live in the sibling files.

mod config;
mod rejection;
mod throughput;

use super::*;
use crate::metrics::LimitKind;
use crate::store::{Millis, SqliteStore};
use std::net::IpAddr;

/// 2026-01-01T00:00:00Z.
const T0: Millis = 1_767_225_600_000;
const SEC: Millis = 1000;
const MIN: Millis = 60 * SEC;
const HOUR: Millis = 60 * MIN;

fn store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path(), Duration::from_secs(5)).expect("open store");
    (dir, store)
}

fn limits(cfg: LimitsConfig) -> Limits {
    Limits::new(&cfg, &[]).expect("valid config")
}

fn subject<'a>(phone: &'a str, ip: Option<&str>, location: &'a str) -> SendSubject<'a> {
    SendSubject {
        phone_e164: phone,
        region: None,
        client_ip: ip.map(|s| s.parse::<IpAddr>().expect("ip")),
        location_id: location,
    }
}

/// `admit_send` for `phone` at location `loc`, unwrapping the store result.
async fn admit(
    l: &Limits,
    s: &SqliteStore,
    subj: SendSubject<'_>,
    now: Millis,
) -> Result<(), LimitRejection> {
    let keys = crate::secret::ServerSecret::new(b"limits test secret".to_vec());
    let result = l
        .admit_send(s, keys.store_keys(), &subj, now)
        .await
        .expect("store works")
        .map(|_| ());
    if let Err(r) = &result {
        assert!(
            !r.detail.contains(subj.phone_e164),
            "detail leaks the phone: {}",
            r.detail
        );
    }
    result
}

fn denied(result: Result<(), LimitRejection>) -> LimitRejection {
    result.expect_err("should be refused")
}

#[tokio::test]
async fn cooldown_boundary() {
    let (_d, s) = store();
    let l = limits(LimitsConfig::default());
    let p = "+79991234567";
    admit(&l, &s, subject(p, None, "42"), T0)
        .await
        .expect("first send");
    let r = denied(admit(&l, &s, subject(p, None, "42"), T0 + 30_500).await);
    assert_eq!(
        (r.code.as_str(), r.kind, r.status().as_u16()),
        ("resend_cooldown", Some(LimitKind::ResendCooldown), 429)
    );
    assert_eq!(r.retry_after_secs, Some(30), "29.5 s rounds up to 30");
    let r = denied(admit(&l, &s, subject(p, None, "42"), T0 + 59_999).await);
    assert_eq!(r.code.as_str(), "resend_cooldown");
    assert_eq!(r.retry_after_secs, Some(1), "1 ms left rounds up to 1 s");
    admit(&l, &s, subject(p, None, "42"), T0 + 60_000)
        .await
        .expect("cooldown over at 60 s");
    assert_eq!(l.resend_cooldown(), Duration::from_secs(60));
}

#[tokio::test]
async fn hourly_and_daily_windows_roll_over() {
    let (_d, s) = store();
    let l = limits(LimitsConfig {
        resend_cooldown: Duration::from_secs(1),
        ..Default::default()
    });
    let p = "+79991234567";
    let send = |t: Millis| admit(&l, &s, subject(p, None, "42"), t);
    for i in 0..5 {
        send(T0 + i * SEC).await.expect("within hourly budget");
    }
    let r = denied(send(T0 + 10 * SEC).await);
    assert_eq!(
        (r.code.as_str(), r.kind),
        ("phone_hourly_limit", Some(LimitKind::PhoneHour))
    );
    assert_eq!(
        r.retry_after_secs,
        Some(3590),
        "the send at T0 leaves the hour at T0+1h"
    );
    send(T0 + HOUR).await.expect("oldest send left the hour");
    // Ten in the day: the batch above (6 sends) and four more an hour later.
    for i in 0..4 {
        send(T0 + HOUR + 5 * SEC + i * SEC)
            .await
            .expect("within daily budget");
    }
    let r = denied(send(T0 + 2 * HOUR + 10 * SEC).await);
    assert_eq!(
        (r.code.as_str(), r.kind),
        ("phone_daily_limit", Some(LimitKind::PhoneDay))
    );
    assert_eq!(r.retry_after_secs, Some(22 * 3600 - 10));
    send(T0 + 24 * HOUR)
        .await
        .expect("first send of the day left the window");
}

#[tokio::test]
async fn ip_limit_counts_per_address_and_ipv6_per_64() {
    let (_d, s) = store();
    let l = limits(LimitsConfig {
        ip_per_hour: 2,
        ..Default::default()
    });
    let ip = Some("203.0.113.7");
    admit(&l, &s, subject("+79990000001", ip, "1"), T0)
        .await
        .expect("1st");
    admit(
        &l,
        &s,
        subject("+79990000002", Some("::ffff:203.0.113.7"), "2"),
        T0,
    )
    .await
    .expect("2nd (mapped v4)");
    let r = denied(admit(&l, &s, subject("+79990000003", ip, "3"), T0 + MIN).await);
    assert_eq!(
        (r.code.as_str(), r.kind),
        ("ip_limit", Some(LimitKind::IpHour))
    );
    assert_eq!(r.retry_after_secs, Some(3540));
    admit(
        &l,
        &s,
        subject("+79990000003", Some("203.0.113.8"), "3"),
        T0 + MIN,
    )
    .await
    .expect("other IP");
    admit(&l, &s, subject("+79990000004", None, "4"), T0 + MIN)
        .await
        .expect("no IP given: not counted");

    admit(
        &l,
        &s,
        subject("+79990000005", Some("2001:db8:1:2::1"), "5"),
        T0,
    )
    .await
    .expect("v6 1st");
    admit(
        &l,
        &s,
        subject("+79990000006", Some("2001:db8:1:2:ffff::9"), "6"),
        T0,
    )
    .await
    .expect("v6 2nd");
    let r = denied(
        admit(
            &l,
            &s,
            subject("+79990000007", Some("2001:db8:1:2::42"), "7"),
            T0,
        )
        .await,
    );
    assert_eq!(r.code.as_str(), "ip_limit", "same /64 shares the budget");
    admit(
        &l,
        &s,
        subject("+79990000007", Some("2001:db8:1:3::42"), "7"),
        T0,
    )
    .await
    .expect("other /64");
}

#[tokio::test]
async fn location_limit_per_minute() {
    let (_d, s) = store();
    let l = limits(LimitsConfig {
        location_per_minute: 2,
        ..Default::default()
    });
    admit(&l, &s, subject("+79990000001", None, "42"), T0)
        .await
        .expect("1st");
    admit(&l, &s, subject("+79990000002", None, "42"), T0 + 10 * SEC)
        .await
        .expect("2nd");
    let r = denied(admit(&l, &s, subject("+79990000003", None, "42"), T0 + 20 * SEC).await);
    assert_eq!(
        (r.code.as_str(), r.kind),
        ("location_limit", Some(LimitKind::LocationMinute))
    );
    assert_eq!(r.retry_after_secs, Some(40));
    admit(&l, &s, subject("+79990000003", None, "43"), T0 + 20 * SEC)
        .await
        .expect("other location");
    admit(&l, &s, subject("+79990000004", None, "42"), T0 + MIN)
        .await
        .expect("minute rolled");
}

#[tokio::test]
async fn prefix_guard_limits_risky_prefixes_only() {
    let (_d, s) = store();
    let cfg = LimitsConfig {
        prefixes: vec![
            PrefixLimit {
                prefix: "+882".into(),
                per_hour: 2,
            },
            PrefixLimit {
                prefix: "+88234".into(),
                per_hour: 1,
            },
        ],
        ..Default::default()
    };
    let l = limits(cfg);
    assert_eq!(
        l.risky_prefix("+882345678901"),
        Some(("+88234", 1)),
        "longest prefix wins"
    );
    assert_eq!(l.risky_prefix("+79991234567"), None);
    admit(&l, &s, subject("+882100000001", None, "1"), T0)
        .await
        .expect("1st +882");
    admit(&l, &s, subject("+882100000002", None, "2"), T0)
        .await
        .expect("2nd +882");
    let r = denied(admit(&l, &s, subject("+882100000003", None, "3"), T0 + MIN).await);
    assert_eq!(
        (r.code.as_str(), r.kind),
        ("prefix_limit", Some(LimitKind::Prefix))
    );
    assert_eq!(r.retry_after_secs, Some(3540));
    assert!(r.detail.contains("+882 "), "names the prefix: {}", r.detail);
    admit(&l, &s, subject("+882340000001", None, "4"), T0 + MIN)
        .await
        .expect("+88234 has its own budget");
    let r = denied(admit(&l, &s, subject("+882340000002", None, "5"), T0 + MIN).await);
    assert!(r.detail.contains("+88234 "), "{}", r.detail);
    for i in 0..10 {
        let phone = format!("+7999000000{i}");
        admit(&l, &s, subject(&phone, None, &i.to_string()), T0)
            .await
            .expect("other prefixes unlimited");
    }
    admit(&l, &s, subject("+882100000003", None, "3"), T0 + HOUR)
        .await
        .expect("hour rolled");
}

#[tokio::test]
async fn rotating_ipv6_64s_inside_one_48_is_limited() {
    let (_d, s) = store();
    let l = limits(LimitsConfig {
        ip_per_hour: 2,
        ipv6_48_per_hour: 3,
        ..Default::default()
    });
    // A fresh /64 each time: the per-/64 limit never trips, the /48 one does.
    for i in 0..3 {
        let ip = format!("2001:db8:1:{i:x}::1");
        admit(
            &l,
            &s,
            subject(&format!("+7999000001{i}"), Some(&ip), "1"),
            T0,
        )
        .await
        .expect("within the /48 budget");
    }
    let r = denied(
        admit(
            &l,
            &s,
            subject("+79990000019", Some("2001:db8:1:ff::1"), "1"),
            T0,
        )
        .await,
    );
    assert_eq!(
        (r.code.as_str(), r.kind),
        ("ip_limit", Some(LimitKind::IpHour))
    );
    assert!(r.detail.contains("/48"), "{}", r.detail);
    // Another /48 has its own budget; IPv4 (and mapped IPv4) has no /48.
    admit(
        &l,
        &s,
        subject("+79990000020", Some("2001:db8:2::1"), "1"),
        T0,
    )
    .await
    .expect("other /48");
    assert_eq!(
        quota::ipv6_48_key("::ffff:203.0.113.7".parse().unwrap()),
        None
    );
    assert_eq!(
        quota::ip_key("::ffff:203.0.113.7".parse().unwrap()),
        "203.0.113.7"
    );
}

#[tokio::test]
async fn test_numbers_bypass_every_quota() {
    let (_d, s) = store();
    let qa = "+15005550006";
    let cfg = LimitsConfig {
        test_numbers: vec![qa.into()],
        location_per_minute: 3,
        ip_per_hour: 3,
        ..Default::default()
    };
    let l = limits(cfg);
    assert!(l.is_test_number(qa));
    assert!(!l.is_test_number("+15005550007"));
    for _ in 0..20 {
        admit(&l, &s, subject(qa, Some("203.0.113.7"), "42"), T0)
            .await
            .expect("QA phone never limited");
    }
    // Nothing was counted for the location or IP either.
    for i in 0..3 {
        let phone = format!("+7999000000{i}");
        admit(&l, &s, subject(&phone, Some("203.0.113.7"), "42"), T0)
            .await
            .expect("budgets untouched");
    }
    assert_eq!(
        denied(admit(&l, &s, subject("+79990000009", None, "42"), T0).await)
            .code
            .as_str(),
        "location_limit"
    );
}

#[tokio::test]
async fn a_refused_send_counts_nothing() {
    let (_d, s) = store();
    let l = limits(LimitsConfig {
        location_per_minute: 1,
        ip_per_hour: 3,
        ..Default::default()
    });
    let ip = Some("198.51.100.1");
    admit(&l, &s, subject("+79990000001", ip, "L"), T0)
        .await
        .expect("A at L");
    let r = denied(admit(&l, &s, subject("+79990000002", ip, "L"), T0).await);
    assert_eq!(r.code.as_str(), "location_limit");
    // B's cooldown and the IP's budget were not spent by the refusal.
    admit(&l, &s, subject("+79990000002", ip, "M"), T0)
        .await
        .expect("B at M: no cooldown");
    admit(&l, &s, subject("+79990000003", ip, "N"), T0)
        .await
        .expect("third IP send fits");
    assert_eq!(
        denied(admit(&l, &s, subject("+79990000004", ip, "O"), T0).await)
            .code
            .as_str(),
        "ip_limit"
    );
}

#[tokio::test]
async fn country_allow_and_deny_lists() {
    let l = limits(LimitsConfig {
        allowed_countries: vec!["ru".into(), "KZ".into()],
        ..Default::default()
    });
    assert_eq!(
        l.config().allowed_countries,
        ["RU", "KZ"],
        "normalized to upper case"
    );
    l.check_geo(Some("RU")).expect("allowed");
    l.check_geo(Some("kz")).expect("case-insensitive");
    let r = l.check_geo(Some("DE")).expect_err("not in the allow-list");
    assert_eq!(
        (
            r.code.as_str(),
            r.status().as_u16(),
            r.kind,
            r.retry_after_secs
        ),
        ("country_blocked", 403, None, None)
    );
    assert!(r.detail.contains("DE"));
    assert_eq!(
        l.check_geo(None).expect_err("unknown region").code.as_str(),
        "country_blocked"
    );

    let l = limits(LimitsConfig {
        denied_countries: vec!["DE".into()],
        ..Default::default()
    });
    l.check_geo(Some("RU")).expect("not denied");
    l.check_geo(None)
        .expect("unknown region passes without an allow-list");
    assert_eq!(
        l.check_geo(Some("DE")).expect_err("denied").code.as_str(),
        "country_blocked"
    );
    limits(LimitsConfig::default())
        .check_geo(Some("DE"))
        .expect("no lists: everything goes");
}

#[test]
fn subject_debug_hides_phone_and_ip() {
    let subj = subject("+79991234567", Some("203.0.113.7"), "42");
    let text = format!("{subj:?}");
    assert!(
        !text.contains("1234567") && !text.contains("203.0.113.7"),
        "{text}"
    );
    assert!(text.contains("42"));
}
