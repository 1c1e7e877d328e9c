//! User-perceived characters (extended grapheme clusters, UAX #29) with a fast path:
//! for text made only of characters whose grapheme-break class is "Other" (ASCII, Latin,
//! Greek and Cyrillic letters and punctuation), every character is its own grapheme, so
//! the `unicode-segmentation` state machine is skipped. Anything else — combining marks,
//! emoji, ZWJ, regional indicators, Hangul, CR — goes through the full algorithm.

#[cfg(test)]
mod tests;

use std::str::CharIndices;

use unicode_segmentation::{GraphemeIndices, UnicodeSegmentation};

/// Whether `c` always forms a grapheme boundary with any other simple character: its
/// grapheme-break property is Other (or LF), so no rule of UAX #29 joins it. The soft
/// hyphen (a Control) and the Cyrillic combining range U+0483..=U+0489 are left out.
#[inline]
pub fn is_simple(c: char) -> bool {
    matches!(c,
        '\n' | ' '..='~'
        | '\u{A0}'..='\u{AC}' | '\u{AE}'..='\u{2FF}'
        | '\u{370}'..='\u{377}' | '\u{37A}'..='\u{37F}' | '\u{384}'..='\u{38A}' | '\u{38C}'
        | '\u{38E}'..='\u{3A1}' | '\u{3A3}'..='\u{3FF}'
        | '\u{400}'..='\u{482}' | '\u{48A}'..='\u{52F}'
        | '\u{2010}'..='\u{2027}' | '\u{2030}'..='\u{205E}' | '\u{20A0}'..='\u{20C0}'
        | '\u{2116}' | '\u{2122}')
}

/// Grapheme clusters of a text with their byte offsets.
pub enum Graphemes<'a> {
    /// Every character is simple: one grapheme per character.
    Chars(&'a str, CharIndices<'a>),
    /// The full UAX #29 segmentation.
    Full(GraphemeIndices<'a>),
}

/// The extended grapheme clusters of `s`, as `(byte offset, cluster)`.
pub fn graphemes(s: &str) -> Graphemes<'_> {
    if s.chars().all(is_simple) {
        Graphemes::Chars(s, s.char_indices())
    } else {
        Graphemes::Full(s.grapheme_indices(true))
    }
}

impl<'a> Iterator for Graphemes<'a> {
    type Item = (usize, &'a str);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Graphemes::Chars(s, it) => {
                let (i, c) = it.next()?;
                s.get(i..i + c.len_utf8()).map(|g| (i, g))
            }
            Graphemes::Full(it) => it.next(),
        }
    }
}
