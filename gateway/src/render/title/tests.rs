use super::*;

#[test]
fn company_name_wins_unless_blank() {
    let cases = [
        (
            Some("Lily"),
            "Main St",
            Some(("Lily", TitleSource::Company)),
        ),
        (
            Some("  Lily  "),
            "Main St",
            Some(("Lily", TitleSource::Company)),
        ),
        (
            Some(""),
            "Main St",
            Some(("Main St", TitleSource::Location)),
        ),
        (
            Some(" \t\u{A0}\n"),
            "Main St",
            Some(("Main St", TitleSource::Location)),
        ),
        (None, " Main  St ", Some(("Main St", TitleSource::Location))),
        (None, "   ", None),
        (Some(" "), "", None),
    ];
    for (company, location, expected) in cases {
        let got = choose(company, location);
        let got = got.as_ref().map(|(t, s)| (t.as_str(), *s));
        assert_eq!(got, expected, "{company:?} / {location:?}");
    }
}

#[test]
fn normalize_collapses_whitespace_and_drops_controls() {
    assert_eq!(
        normalize("  Beauty\u{A0}\u{A0}Bar\n\tSpa "),
        "Beauty Bar Spa"
    );
    assert_eq!(normalize("A\u{7}B"), "AB");
    assert_eq!(normalize(""), "");
}

/// A frame like `Confirmation code for : 123456` (GSM-7, 30 septets).
fn gsm_frame(max_units: Option<u32>) -> Frame {
    Frame {
        gsm: true,
        septets: 30,
        utf16: 30,
        max_units,
    }
}

#[test]
fn shortening_table() {
    // (title, frame room for the title in units, min chars, expected)
    let cases: [(&str, u32, usize, Option<&str>); 9] = [
        // Hard cut when the only word is too long.
        ("Abcdefghij", 5, 3, Some("Abcde")),
        // Word boundary preferred when it keeps at least half.
        ("Beauty Salon Downtown", 15, 3, Some("Beauty Salon")),
        // Word boundary too short: a hard cut keeps more.
        ("Ab Cdefghijklmnop", 12, 3, Some("Ab Cdefghijk")),
        // Trailing punctuation and spaces are trimmed.
        ("Lily, Rose & Co", 7, 3, Some("Lily")),
        ("Lily - Rose", 7, 3, Some("Lily")),
        // An opening bracket or quote is trimmed, a closing one kept.
        ("Spa (Main) Street", 11, 3, Some("Spa (Main)")),
        ("OOO \"Lily\" Spa", 11, 3, Some("OOO \"Lily\"")),
        // Not even the minimum fits.
        ("Abcdefghij", 2, 3, None),
        ("Ab cd", 2, 3, None),
    ];
    for (t, room, min, expected) in cases {
        let frame = gsm_frame(Some(30 + room));
        assert_eq!(
            shorten(t, &frame, min).as_deref(),
            expected,
            "{t} in {room}"
        );
    }
}

#[test]
fn shortening_never_splits_a_grapheme() {
    let frame = Frame {
        gsm: false,
        septets: 0,
        utf16: 60,
        max_units: None, // 70 UTF-16 units: 10 left for the title
    };
    // Each family emoji is 11 units; the flag is 4; a split would leave broken halves.
    let t = "🇷🇺🇷🇺👨\u{200D}👩\u{200D}👧\u{200D}👦";
    assert_eq!(shorten(t, &frame, 1).as_deref(), Some("🇷🇺🇷🇺"));
    let t = "ab👍🏽👍🏽👍🏽";
    assert_eq!(shorten(t, &frame, 1).as_deref(), Some("ab👍🏽👍🏽"));
}

#[test]
fn dropping_the_only_non_gsm_character_switches_to_gsm7() {
    // GSM-7 frame of 30 septets. With the Cyrillic tail the text is UCS-2 and needs
    // 132 units (> 70); without it the Latin part is GSM-7 and fits 160 septets whole,
    // so shortening must not cut to the UCS-2 room of 40.
    let frame = gsm_frame(None);
    let t = format!("{} Ж", "a".repeat(100));
    assert_eq!(shorten(&t, &frame, 3), Some("a".repeat(100)));
}

#[test]
fn extension_characters_count_double() {
    // 10 septets of room: five `€` (2 each) fit, the sixth does not.
    let frame = gsm_frame(Some(40));
    assert_eq!(shorten("€€€€€€€", &frame, 1).as_deref(), Some("€€€€€"));
}

#[test]
fn very_long_titles_are_bounded() {
    let t = "x".repeat(100_000);
    let frame = gsm_frame(None);
    assert_eq!(shorten(&t, &frame, 3), Some("x".repeat(130)));
}
