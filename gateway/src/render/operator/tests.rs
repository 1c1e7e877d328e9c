use super::*;

fn op(id: &str, prefixes: &[&str]) -> OperatorConfig {
    OperatorConfig {
        id: id.to_owned(),
        prefixes: prefixes.iter().map(|p| (*p).to_owned()).collect(),
        ..OperatorConfig::default()
    }
}

fn table(ops: Vec<OperatorConfig>) -> OperatorTable {
    OperatorTable::new(&OperatorRuleConfig::default(), &ops).expect("valid table")
}

#[test]
fn longest_prefix_wins() {
    let t = table(vec![
        op("nanp", &["+1"]),
        op("ru", &["+7"]),
        op("ru-megafon", &["+7920", "+7921"]),
        op("ru-megafon-spb", &["+79213"]),
    ]);
    let cases = [
        ("+79201234567", "ru-megafon"),
        ("+79211234567", "ru-megafon"),
        ("+79213234567", "ru-megafon-spb"),
        ("+79161234567", "ru"),
        ("+12025550143", "nanp"),
        ("+447911123456", DEFAULT_OPERATOR_ID),
        ("", DEFAULT_OPERATOR_ID),
        ("+", DEFAULT_OPERATOR_ID),
        ("+7", "ru"),
        ("7920", DEFAULT_OPERATOR_ID),
        ("+7ж920", "ru"),
        ("ж", DEFAULT_OPERATOR_ID),
    ];
    for (phone, expected) in cases {
        assert_eq!(t.lookup(phone).id, expected, "{phone}");
    }
}

#[test]
fn unset_fields_inherit_from_the_default_rule() {
    let default = OperatorRuleConfig {
        smart_encoding: Some(false),
        sender_id: Some("Booking".to_owned()),
        max_units: Some(69),
        ..OperatorRuleConfig::default()
    };
    let mut own = op("own", &["+44"]);
    own.sender_id = Some("Salon".to_owned());
    own.max_units = Some(160);
    let t = OperatorTable::new(&default, &[op("plain", &["+1"]), own]).expect("valid");
    let plain = t.lookup("+12025550143");
    assert_eq!(plain.sender_id.as_deref(), Some("Booking"));
    assert!(!plain.smart_encoding);
    assert_eq!(plain.max_units, Some(69));
    assert!(plain.transliterate_title, "transliteration defaults to on");
    let own = t.lookup("+447911123456");
    assert_eq!(own.sender_id.as_deref(), Some("Salon"));
    assert_eq!(own.max_units, Some(160));
    assert_eq!(t.default_operator().sender_id.as_deref(), Some("Booking"));
}

#[test]
fn adapters_restrict_routing() {
    let mut o = op("ru-mts", &["+7910"]);
    o.adapters = Some(vec!["sms-main".to_owned()]);
    let t = table(vec![o]);
    let mts = t.lookup("+79101234567");
    assert!(mts.allows_adapter("sms-main"));
    assert!(!mts.allows_adapter("telegram-main"));
    assert!(t.lookup("+1").allows_adapter("anything"));
}

#[test]
fn configuration_errors_name_the_culprit() {
    let bad = |ops: Vec<OperatorConfig>| {
        OperatorTable::new(&OperatorRuleConfig::default(), &ops).expect_err("must be refused")
    };
    assert_eq!(
        bad(vec![op("a", &["7920"])]),
        RenderConfigError::InvalidPrefix {
            operator: "a".into(),
            prefix: "7920".into()
        }
    );
    for p in ["+", "+79x", "+1234567890123456", " +7"] {
        assert!(matches!(
            bad(vec![op("a", &[p])]),
            RenderConfigError::InvalidPrefix { .. }
        ));
    }
    assert_eq!(
        bad(vec![op("a", &["+7"]), op("b", &["+7"])]),
        RenderConfigError::DuplicatePrefix {
            prefix: "+7".into(),
            first: "a".into(),
            second: "b".into()
        }
    );
    assert!(matches!(
        bad(vec![op("a", &["+7", "+7"])]),
        RenderConfigError::DuplicatePrefix { .. }
    ));
    assert_eq!(
        bad(vec![op("a", &["+7"]), op("a", &["+8"])]),
        RenderConfigError::DuplicateOperatorId("a".into())
    );
    assert_eq!(
        bad(vec![op("default", &["+7"])]),
        RenderConfigError::DuplicateOperatorId("default".into())
    );
    assert_eq!(
        bad(vec![op("RU MTS", &["+7"])]),
        RenderConfigError::InvalidOperatorId("RU MTS".into())
    );
    assert_eq!(
        bad(vec![op("a", &[])]),
        RenderConfigError::NoPrefixes("a".into())
    );
    let mut small = op("a", &["+7"]);
    small.max_units = Some(5);
    assert!(matches!(
        bad(vec![small]),
        RenderConfigError::MaxUnitsOutOfRange { max_units: 5, .. }
    ));
    let mut big = op("a", &["+7"]);
    big.max_units = Some(161);
    assert!(matches!(
        bad(vec![big]),
        RenderConfigError::MaxUnitsOutOfRange { max_units: 161, .. }
    ));
}
