//! Property tests: whatever the title, a successful render fits one SMS and keeps whole
//! graphemes.

use proptest::prelude::*;
use unicode_segmentation::UnicodeSegmentation;

use super::*;

/// Pieces titles are built from: Latin, Cyrillic, extension characters, emoji
/// sequences, combining marks, typographic punctuation, placeholders and spaces.
const PIECES: &[&str] = &[
    "a",
    "Lily",
    "Ж",
    "салон",
    "€",
    "[",
    "😀",
    "👨\u{200D}👩\u{200D}👧",
    "🇷🇺",
    "👍🏽",
    "e\u{301}",
    "’",
    "—",
    "%CODE%",
    " ",
    "  ",
    ",",
    "\"",
    "Ω",
];

fn title_strategy() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..50).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// A successful render always fits its limit in one part, and a shortened title is
    /// a prefix of whole graphemes of the (normalised, possibly re-encoded) title.
    #[test]
    fn rendered_messages_always_fit(
        title in title_strategy(),
        lang in prop::sample::select(&["en", "ru", "de"][..]),
        with_title in any::<bool>(),
        phone in prop::sample::select(&[OTHER, MEGAFON, MTS, GSM_ONLY, NO_SMART][..]),
        code in "[0-9]{4,8}",
    ) {
        let r = renderer();
        let template = if with_title { CodeWithTitle } else { CodeOnly };
        let q = RenderRequest {
            language: lang,
            template,
            company_name: Some(&title),
            location_name: "Main Street",
            code: &code,
            phone_e164: phone,
        };
        match r.render(&q) {
            Ok(out) => {
                prop_assert!(out.units <= out.max_units);
                prop_assert!(out.fits_single_segment);
                prop_assert_eq!(out.segments, 1);
                prop_assert_eq!(measure(&out.text), (out.encoding, out.units));
                prop_assert_eq!(crate::render::segment(&out.text).segments, 1);
                prop_assert!(out.text.ends_with(&code));
                prop_assert_eq!(out.masked_text.replace(&"*".repeat(code.len()), &code), out.text.clone());
                if let Some(used) = &out.title_used {
                    let rules = &out.rules_applied;
                    let title = if crate::render::title::normalize(&title).is_empty() {
                        "Main Street".to_owned()
                    } else {
                        title.clone()
                    };
                    let source = if rules.iter().any(|r| r == "title_transliterated") {
                        crate::render::translit::to_gsm7(&title)
                    } else if rules.iter().any(|r| r == "smart_encoding") {
                        crate::render::title::normalize(&crate::render::smart::apply(&title))
                    } else {
                        crate::render::title::normalize(&title)
                    };
                    let used_g: Vec<&str> = used.graphemes(true).collect();
                    let src_g: Vec<&str> = source.graphemes(true).take(used_g.len()).collect();
                    prop_assert_eq!(&used_g, &src_g, "title is not a grapheme prefix");
                    prop_assert_eq!(out.title_shortened, used.len() < source.len());
                    prop_assert!(out.text.contains(used.as_str()));
                }
            }
            Err(RenderError::TooLong { .. }) => {
                prop_assert!(r.operator_for(phone).require_title, "only a required title can be too long");
            }
            Err(RenderError::Gsm7Required { .. }) => prop_assert_eq!(phone, GSM_ONLY),
            Err(other) => prop_assert!(false, "unexpected {:?}", other),
        }
    }
}
