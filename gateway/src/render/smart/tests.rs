use super::*;
use crate::render::gsm::is_gsm7_str;

#[test]
fn replacements_table() {
    let cases = [
        ("‘Salon’", "'Salon'"),
        ("“Salon”", "\"Salon\""),
        ("«Salon»", "\"Salon\""),
        ("„Salon“", "\"Salon\""),
        ("Hair – Nails — Spa", "Hair - Nails - Spa"),
        ("Beauty\u{A0}Bar", "Beauty Bar"),
        ("Wait…", "Wait..."),
        ("a\u{200B}b", "ab"),
        ("Ｓａｌｏｎ！", "Salon!"),
        ("№5", "No5"),
        ("Café ½", "Café 1/2"),
        ("`quoted`", "'quoted'"),
    ];
    for (input, expected) in cases {
        let out = apply(input);
        assert_eq!(out, expected, "{input}");
        assert!(is_gsm7_str(&out), "{input} -> {out} is not GSM-7");
    }
}

#[test]
fn unchanged_text_is_borrowed() {
    assert!(matches!(apply("Plain text"), Cow::Borrowed(_)));
    assert!(matches!(apply("Салон"), Cow::Borrowed(_)));
    assert!(matches!(apply("it’s"), Cow::Owned(_)));
}

#[test]
fn fullwidth_range_maps_to_ascii() {
    assert_eq!(replacement('\u{FF01}'), Some("!"));
    assert_eq!(replacement('\u{FF10}'), Some("0"));
    assert_eq!(replacement('\u{FF5E}'), Some("~"));
    assert_eq!(replacement('\u{FF5F}'), None);
    assert_eq!(replacement('\u{FF00}'), None);
    assert_eq!(replacement('a'), None);
    assert_eq!(replacement('Ж'), None);
}

#[test]
fn every_replacement_is_gsm7() {
    for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
        if let Some(r) = replacement(c) {
            assert!(is_gsm7_str(r), "{c:?} -> {r:?}");
            assert!(!crate::render::gsm::is_gsm7(c), "{c:?} is already GSM-7");
        }
    }
}
