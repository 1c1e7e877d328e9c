use super::*;
use crate::render::gsm::is_gsm7_str;

#[test]
fn transliteration_table() {
    let cases = [
        ("Салон красоты Ромашка", "Salon krasoty Romashka"),
        ("Щука", "Shchuka"),
        ("Café Müller", "Café Müller"), // already GSM-7: kept as is
        ("Ωmega Δelta", "Ωmega Δelta"), // Greek capitals are in GSM-7
        ("“Lily” — Spa", "\"Lily\" - Spa"), // smart encoding first
        ("Łódź", "Lodz"),
        ("北京", "Bei Jing"),
        ("`x`", "'x'"),
        ("😀", "grinning"),
    ];
    for (input, expected) in cases {
        let out = to_gsm7(input);
        assert_eq!(out, expected, "{input}");
        assert!(is_gsm7_str(&out), "{input} -> {out}");
    }
}

#[test]
fn nothing_readable_gives_empty() {
    assert_eq!(to_gsm7("\u{E000}\u{E001}"), "");
    assert_eq!(to_gsm7(""), "");
}
