use super::*;

fn digits(n: usize) -> String {
    "1234567890".chars().cycle().take(n).collect()
}

fn info(text: &str) -> (Encoding, u32, u32) {
    let s = segment(text);
    (s.encoding, s.units, s.segments)
}

/// Boundaries of single messages and of concatenated parts, in both encodings.
#[test]
fn boundaries() {
    use Encoding::*;
    let cyr = |n: usize| "ж".repeat(n);
    let cases: Vec<(String, Encoding, u32, u32)> = vec![
        (String::new(), Gsm7, 0, 0),
        (digits(1), Gsm7, 1, 1),
        (digits(159), Gsm7, 159, 1),
        (digits(160), Gsm7, 160, 1),
        (digits(161), Gsm7, 161, 2),
        (digits(306), Gsm7, 306, 2),
        (digits(307), Gsm7, 307, 3),
        (digits(459), Gsm7, 459, 3),
        (digits(460), Gsm7, 460, 4),
        (cyr(69), Ucs2, 69, 1),
        (cyr(70), Ucs2, 70, 1),
        (cyr(71), Ucs2, 71, 2),
        (cyr(134), Ucs2, 134, 2),
        (cyr(135), Ucs2, 135, 3),
        (cyr(201), Ucs2, 201, 3),
        (cyr(202), Ucs2, 202, 4),
    ];
    for (text, enc, units, segments) in cases {
        assert_eq!(
            info(&text),
            (enc, units, segments),
            "{} chars",
            text.chars().count()
        );
    }
}

/// An escape pair is never split: 152 septets then `€` (2) cannot share the first part.
#[test]
fn extension_character_at_a_part_boundary() {
    // 152 + 2 = 154 > 153, so `€` opens part 2; the rest fills it.
    let text = format!("{}€{}", digits(152), digits(5));
    assert_eq!(info(&text), (Encoding::Gsm7, 159, 1));
    let text = format!("{}€{}", digits(152), digits(7));
    assert_eq!(info(&text), (Encoding::Gsm7, 161, 2));
    // Parts: [152 digits] [€ + 151 digits] = 153 → 2 parts with 152+2+151 = 305 septets.
    let text = format!("{}€{}", digits(152), digits(151));
    assert_eq!(info(&text), (Encoding::Gsm7, 305, 2));
    // A naive septet count (305 + 1 = 306) says 2 parts; the escape pair pushes it to 3.
    let text = format!("{}€{}", digits(152), digits(152));
    assert_eq!(info(&text), (Encoding::Gsm7, 306, 3));
    // Without the boundary problem 306 septets are two parts.
    let text = format!("€{}", digits(304));
    assert_eq!(info(&text), (Encoding::Gsm7, 306, 2));
}

/// A surrogate pair or emoji sequence is never split across UCS-2 parts.
#[test]
fn emoji_at_a_part_boundary() {
    let cyr = |n: usize| "ж".repeat(n);
    // 66 units + 😀 (2 units) cannot share the 67-unit first part.
    let text = format!("{}😀{}", cyr(66), cyr(66));
    assert_eq!(info(&text), (Encoding::Ucs2, 134, 3));
    let text = format!("😀{}", cyr(132));
    assert_eq!(info(&text), (Encoding::Ucs2, 134, 2));
    // A family ZWJ sequence (11 units) moves whole to the next part.
    let family = "👨\u{200D}👩\u{200D}👧\u{200D}👦";
    assert_eq!(family.encode_utf16().count(), 11);
    let text = format!("{}{family}{}", cyr(60), cyr(20));
    // [60] [11 + 20]: two parts.
    assert_eq!(info(&text), (Encoding::Ucs2, 91, 2));
    let text = format!("{}{family}{}", cyr(60), cyr(63));
    // Unit-wise 134 would be 2 parts; keeping the family whole needs 3.
    assert_eq!(info(&text), (Encoding::Ucs2, 134, 3));
}

#[test]
fn other_grapheme_sequences_stay_whole() {
    let cyr = |n: usize| "ж".repeat(n);
    for seq in [
        "👍🏽",                // skin tone modifier, 4 units
        "🇷🇺",                // regional indicator flag, 4 units
        "1\u{FE0F}\u{20E3}", // keycap, 3 units
        "е\u{301}",          // combining accent, 2 units
    ] {
        let w = u32::try_from(seq.encode_utf16().count()).expect("small");
        // Fill the first part up to one unit short, so a split would fit one unit.
        let text = format!("{}{seq}{}", cyr(66), cyr(67));
        let s = segment(&text);
        assert_eq!(s.units, 66 + w + 67, "{seq}");
        assert_eq!(s.segments, 3, "{seq} must move whole to part 2");
    }
}

/// Reference values from Twilio's open-source message segment calculator tests.
#[test]
fn twilio_calculator_reference_corpus() {
    let body = |first: &str, n: usize| {
        let tail: String = "234567890".chars().cycle().take(n).collect();
        format!("{first}{tail}")
    };
    let cases = [
        // "GSM-7 with escape characters in one segment": 1120 bits = 160 septets.
        (body("{", 158), Encoding::Gsm7, 160, 1),
        // "... in two segments".
        (body("{", 159), Encoding::Gsm7, 161, 2),
        // "UCS-2 message in one segment": 1120 bits = 70 units.
        (body("😜", 68), Encoding::Ucs2, 70, 1),
        (body("😜", 69), Encoding::Ucs2, 71, 2),
        // Segment analysis: 307 digits -> 3 parts, the last holding one character.
        (digits(307), Encoding::Gsm7, 307, 3),
        (body("😜", 133), Encoding::Ucs2, 135, 3),
    ];
    for (text, enc, units, segments) in cases {
        assert_eq!(info(&text), (enc, units, segments), "{text}");
    }
}

#[test]
fn ucs2_chars_lists_each_offender_once_in_order() {
    let s = segment("Код «Ромашка» 😀 ok");
    assert_eq!(s.encoding, Encoding::Ucs2);
    let expected: Vec<char> = "Кодо«Рмашка»😀".chars().fold(Vec::new(), |mut v, c| {
        if !v.contains(&c) {
            v.push(c);
        }
        v
    });
    assert_eq!(s.ucs2_chars, expected);
    assert!(segment("plain € text").ucs2_chars.is_empty());
}

#[test]
fn measure_matches_segment() {
    for t in ["", "abc", "a€", "ж", "😀", "`"] {
        let s = segment(t);
        assert_eq!(measure(t), (s.encoding, s.units), "{t}");
    }
    assert_eq!(units_in("a€", Encoding::Gsm7), 3);
    assert_eq!(units_in("a😀", Encoding::Ucs2), 3);
}

#[test]
fn encoding_serializes_with_api_names() {
    assert_eq!(
        serde_json::to_string(&Encoding::Gsm7).expect("serialize"),
        "\"GSM-7\""
    );
    assert_eq!(
        serde_json::to_string(&Encoding::Ucs2).expect("serialize"),
        "\"UCS-2\""
    );
    assert_eq!(Encoding::Ucs2.to_string(), "UCS-2");
}

#[test]
fn an_oversized_grapheme_is_split_by_chars_without_panicking() {
    // One base letter with 200 combining marks is one grapheme of 201 units.
    let text = format!("e{}", "\u{301}".repeat(200));
    let s = segment(&text);
    assert_eq!((s.units, s.segments), (201, 3));
}

#[test]
fn crlf_is_one_grapheme_and_stays_in_one_part() {
    let text = format!("{}\r\n{}", digits(152), digits(10));
    assert_eq!(info(&text), (Encoding::Gsm7, 164, 2));
    // 152 + 2 > 153: the pair opens part 2 together; 152 + 2 + 151 = 305 is 2 parts,
    // 152 + 2 + 152 is 3 parts although 306 septets would otherwise fit two.
    let text = format!("{}\r\n{}", digits(152), digits(152));
    assert_eq!(info(&text), (Encoding::Gsm7, 306, 3));
    let text = format!("{}\n\r{}", digits(152), digits(152));
    assert_eq!(
        info(&text),
        (Encoding::Gsm7, 306, 2),
        "LF CR is two graphemes"
    );
}

#[test]
fn utf16_units_match_the_standard_library() {
    for s in [
        "",
        "abc",
        "жж",
        "😀",
        "a😀ж👨\u{200D}👩",
        "\u{10FFFF}\u{FFFF}",
    ] {
        assert_eq!(
            usize::try_from(utf16_len(s)).expect("small"),
            s.encode_utf16().count(),
            "{s:?}"
        );
    }
}
