//! Smart encoding: replaces typographic look-alikes (curly quotes, dashes, special
//! spaces, ellipsis, bullets, full-width ASCII) with GSM-7 equivalents, the way SMS
//! platforms do, so one pasted `’` does not turn a 160-septet message into a 70-unit one.
//!
//! The table is hand-written and deliberately small: each entry is a character people
//! paste from word processors, mapped to what a reader would expect. Characters not in
//! the table are left alone (transliteration is a separate, stronger step).

#[cfg(test)]
mod tests;

use std::borrow::Cow;

/// The GSM-7 replacement for `c`, if smart encoding knows one. May be empty (invisible
/// characters such as a zero-width space are dropped) or longer than one character
/// (`…` becomes `...`).
pub fn replacement(c: char) -> Option<&'static str> {
    let r = match c {
        // Quotes and apostrophes.
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{02BC}'
        | '\u{00B4}' | '`' | '\u{FF07}' => "'",
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{00AB}'
        | '\u{00BB}' | '\u{FF02}' => "\"",
        '\u{2039}' => "<",
        '\u{203A}' => ">",
        // Dashes, hyphens and minus signs.
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
        | '\u{2212}' | '\u{FE63}' | '\u{FF0D}' => "-",
        // Spaces of every width become a plain space.
        '\u{00A0}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => " ",
        '\u{2028}' | '\u{2029}' => "\n",
        // Invisible characters disappear.
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' => "",
        '\t' => " ",
        // Punctuation.
        '\u{2026}' => "...",
        '\u{2022}' | '\u{00B7}' | '\u{2027}' => "-",
        '\u{2044}' | '\u{2215}' | '\u{00F7}' => "/",
        '\u{00D7}' => "x",
        '\u{2116}' => "No",
        '\u{00A9}' => "(c)",
        '\u{00AE}' => "(R)",
        '\u{2122}' => "TM",
        '\u{00BC}' => "1/4",
        '\u{00BD}' => "1/2",
        '\u{00BE}' => "3/4",
        // Full-width ASCII (U+FF01..U+FF5E) is handled below.
        _ => return fullwidth(c),
    };
    Some(r)
}

/// Full-width forms of printable ASCII map to their ASCII counterpart.
fn fullwidth(c: char) -> Option<&'static str> {
    const ASCII: &str = "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";
    let offset = (c as u32).checked_sub(0xFF01)?;
    let i = usize::try_from(offset).ok()?;
    // The grave accent is not in GSM-7 either; its full-width form becomes an apostrophe.
    ASCII.get(i..i + 1).map(|s| if s == "`" { "'" } else { s })
}

/// `s` with every known look-alike replaced; borrowed when nothing changed.
pub fn apply(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| replacement(c).is_some()) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match replacement(c) {
            Some(r) => out.push_str(r),
            None => out.push(c),
        }
    }
    Cow::Owned(out)
}
