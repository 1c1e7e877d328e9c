use unicode_segmentation::UnicodeSegmentation;

use super::*;

fn simple_chars() -> Vec<char> {
    (0..=0xFFFFu32)
        .filter_map(char::from_u32)
        .filter(|&c| is_simple(c))
        .collect()
}

/// Every simple character breaks from `a`, from itself and from every other simple
/// character on both sides, exactly as the full algorithm says. Pairs of grapheme-break
/// classes decide UAX #29 boundaries, so this proves the fast path for whole texts.
#[test]
fn simple_characters_always_break() {
    let simple = simple_chars();
    assert!(simple.len() > 1000);
    // One representative per block is enough for the cross product; every character is
    // checked against all representatives and itself.
    let reps: Vec<char> = [
        'a', '\n', ' ', '~', '\u{A0}', 'é', '\u{2FF}', 'Ω', '\u{3FF}', 'Ж', '\u{482}', '\u{48A}',
        '\u{52F}', '—', '…', '€', '№', '™',
    ]
    .into_iter()
    .collect();
    for &r in &reps {
        assert!(is_simple(r), "{r:?}");
    }
    for &c in &simple {
        for &r in reps.iter().chain(std::iter::once(&c)) {
            for pair in [format!("{c}{r}"), format!("{r}{c}")] {
                assert_eq!(pair.graphemes(true).count(), 2, "{:?}", pair);
            }
        }
    }
}

#[test]
fn fast_and_full_paths_agree() {
    for s in [
        "Салон «Ромашка» — №1",
        "Lily's Spa € [x]",
        "e\u{301}",
        "👨\u{200D}👩\u{200D}👧 ok",
        "🇷🇺🇷🇺",
        "a\r\nb",
        "\u{AD}x",
        "",
    ] {
        let fast: Vec<(usize, &str)> = graphemes(s).collect();
        let full: Vec<(usize, &str)> = s.grapheme_indices(true).collect();
        assert_eq!(fast, full, "{s:?}");
    }
    assert!(matches!(graphemes("Салон"), Graphemes::Chars(..)));
    assert!(matches!(graphemes("a\r\n"), Graphemes::Full(..)));
    assert!(matches!(graphemes("😀"), Graphemes::Full(..)));
}
