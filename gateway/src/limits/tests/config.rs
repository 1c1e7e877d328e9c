//! `[limits]` parsing, defaults and validation errors that name the key.

use super::*;

fn key_of(cfg: LimitsConfig) -> String {
    match Limits::new(&cfg, &[]).expect_err("invalid") {
        LimitsConfigError::Invalid { key, .. } => key,
    }
}

#[test]
fn defaults_are_the_documented_ones() {
    let d = LimitsConfig::default();
    assert_eq!(d.resend_cooldown, Duration::from_secs(60));
    assert_eq!(
        (
            d.phone_per_hour,
            d.phone_per_day,
            d.ip_per_hour,
            d.location_per_minute
        ),
        (5, 10, 20, 60)
    );
    assert_eq!(d.throughput_wait, Duration::from_millis(250));
    assert!(d.prefixes.is_empty() && d.allowed_countries.is_empty() && d.test_numbers.is_empty());
    let parsed: LimitsConfig = serde_json::from_str("{}").expect("empty table");
    assert_eq!(parsed, d);
}

#[test]
fn parses_humantime_and_nested_lists() {
    let cfg: LimitsConfig = serde_json::from_value(serde_json::json!({
        "resend_cooldown": "90s",
        "throughput_wait": "1s 500ms",
        "prefixes": [{ "prefix": "+882", "per_hour": 3 }],
        "operators": [{ "id": "ru-mts", "per_second": 50, "burst": 100 }],
    }))
    .expect("valid");
    assert_eq!(cfg.resend_cooldown, Duration::from_secs(90));
    assert_eq!(cfg.throughput_wait, Duration::from_millis(1500));
    assert_eq!(cfg.prefixes[0].per_hour, 3);
    Limits::new(&cfg, &[("sms-main".into(), 10, 20)]).expect("builds");
}

#[test]
fn unknown_keys_are_errors_that_name_them() {
    let err =
        serde_json::from_str::<LimitsConfig>(r#"{ "phone_per_hours": 3 }"#).expect_err("typo");
    assert!(err.to_string().contains("phone_per_hours"), "{err}");
    let err = serde_json::from_str::<LimitsConfig>(
        r#"{ "prefixes": [{ "prefix": "+882", "per_hour": 1, "x": 1 }] }"#,
    )
    .expect_err("typo in a prefix");
    assert!(err.to_string().contains("`x`"), "{err}");
}

#[test]
fn validation_errors_name_the_key() {
    let d = LimitsConfig::default;
    let prefix = |p: &str, n: u32| PrefixLimit {
        prefix: p.into(),
        per_hour: n,
    };
    let cases: Vec<(LimitsConfig, &str)> = vec![
        (
            LimitsConfig {
                resend_cooldown: Duration::ZERO,
                ..d()
            },
            "limits.resend_cooldown",
        ),
        (
            LimitsConfig {
                phone_per_hour: 0,
                ..d()
            },
            "limits.phone_per_hour",
        ),
        (
            LimitsConfig {
                phone_per_day: 0,
                ..d()
            },
            "limits.phone_per_day",
        ),
        (
            LimitsConfig {
                ip_per_hour: 0,
                ..d()
            },
            "limits.ip_per_hour",
        ),
        (
            LimitsConfig {
                location_per_minute: 0,
                ..d()
            },
            "limits.location_per_minute",
        ),
        (
            LimitsConfig {
                prefixes: vec![prefix("+882", 1), prefix("882", 1)],
                ..d()
            },
            "limits.prefixes[1].prefix",
        ),
        (
            LimitsConfig {
                prefixes: vec![prefix("+0", 1)],
                ..d()
            },
            "limits.prefixes[0].prefix",
        ),
        (
            LimitsConfig {
                prefixes: vec![prefix("+88a", 1)],
                ..d()
            },
            "limits.prefixes[0].prefix",
        ),
        (
            LimitsConfig {
                prefixes: vec![prefix("+882", 1), prefix("+882", 2)],
                ..d()
            },
            "limits.prefixes[1].prefix",
        ),
        (
            LimitsConfig {
                prefixes: vec![prefix("+882", 0)],
                ..d()
            },
            "limits.prefixes[0].per_hour",
        ),
        (
            LimitsConfig {
                allowed_countries: vec!["RU".into(), "Russia".into()],
                ..d()
            },
            "limits.allowed_countries[1]",
        ),
        (
            LimitsConfig {
                denied_countries: vec!["ZZ".into()],
                ..d()
            },
            "limits.denied_countries[0]",
        ),
        (
            LimitsConfig {
                allowed_countries: vec!["RU".into()],
                denied_countries: vec!["DE".into(), "ru".into()],
                ..d()
            },
            "limits.denied_countries[1]",
        ),
        (
            LimitsConfig {
                test_numbers: vec!["79991234567".into()],
                ..d()
            },
            "limits.test_numbers[0]",
        ),
        (
            LimitsConfig {
                operators: vec![OperatorThroughput {
                    id: "ru-mts".into(),
                    per_second: 5,
                    burst: 0,
                }],
                ..d()
            },
            "limits.operators[0].burst",
        ),
        (
            LimitsConfig {
                operators: vec![OperatorThroughput {
                    id: " ".into(),
                    per_second: 5,
                    burst: 5,
                }],
                ..d()
            },
            "limits.operators[0].id",
        ),
    ];
    for (cfg, key) in cases {
        assert_eq!(key_of(cfg), key);
    }
    let err = Limits::new(&d(), &[("sms-main".into(), 0, 10)]).expect_err("zero rate");
    assert_eq!(
        err.to_string(),
        "invalid value for `adapters.sms-main.per_second`: must be at least 1"
    );
    let twice = [("sms-main".into(), 1, 1), ("sms-main".into(), 1, 1)];
    assert!(
        Limits::new(&d(), &twice)
            .expect_err("duplicate")
            .to_string()
            .contains("adapters.sms-main")
    );
}
