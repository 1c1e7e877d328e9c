//! Phone parsing, masking and redaction: everything a caller's `phone` field and an
//! adapter's error text go through.

use gateway::phone;

/// Input: first line the default region (empty for none), the rest the phone as typed.
/// Any valid result is canonical E.164 that parses to itself; masks and redactions never
/// show a run of seven digits.
pub fn phone(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (region, input) = crate::first_line(&text);
    let region = (!region.is_empty()).then_some(region);
    if let Ok(p) = phone::parse(input, region) {
        let digits = &p.e164[1..];
        assert!(p.e164.starts_with('+'), "not E.164: {}", p.e164);
        assert!(
            !digits.is_empty() && digits.len() <= 15 && digits.bytes().all(|b| b.is_ascii_digit()),
            "not E.164: {}",
            p.e164
        );
        let again = phone::parse(&p.e164, None).expect("E.164 output must parse again");
        assert_eq!(again.e164, p.e164, "parsing is not idempotent");
        let masked = phone::mask(&p.e164);
        assert!(!masked.contains(digits), "mask shows the whole number");
    }
    assert_no_long_digit_run(&phone::mask(input));
    assert_no_long_digit_run(&phone::redact_numbers(&text));
}

fn assert_no_long_digit_run(s: &str) {
    let mut run = 0;
    for c in s.chars() {
        run = if c.is_ascii_digit() { run + 1 } else { 0 };
        assert!(run < 7, "seven digits in a row survived masking: {s:?}");
    }
}
