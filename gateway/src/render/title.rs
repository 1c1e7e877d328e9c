//! The `%SALON_TITLE%` value: choosing between company and location name, normalising
//! whitespace, and shortening it to a prefix of whole user-perceived characters so the
//! message fits a limit (preferring a word boundary, trimming trailing punctuation).

#[cfg(test)]
mod tests;

use super::segment::Encoding;
use super::{grapheme, gsm};

/// Which name became the title.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TitleSource {
    /// The company name from the location settings.
    Company,
    /// The location name, because no (non-blank) company name is set.
    Location,
}

/// The company name when set and not blank, otherwise the location name, normalised.
/// `None` when both are blank.
pub fn choose(company: Option<&str>, location: &str) -> Option<(String, TitleSource)> {
    if let Some(c) = company.map(normalize).filter(|c| !c.is_empty()) {
        return Some((c, TitleSource::Company));
    }
    Some(normalize(location))
        .filter(|l| !l.is_empty())
        .map(|l| (l, TitleSource::Location))
}

/// Trims, collapses every run of whitespace (including no-break and other Unicode
/// spaces, tabs and newlines) into one space and drops other control characters, so a
/// pasted name cannot add line breaks or invisible padding to an SMS.
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().filter(|c| !c.is_control()));
    }
    out
}

/// What the message costs apart from the title.
#[derive(Clone, Copy, Debug)]
pub struct Frame {
    /// Whether template text and code are all GSM-7.
    pub gsm: bool,
    /// Septets of template text and code (meaningful when `gsm`).
    pub septets: u32,
    /// UTF-16 units of template text and code.
    pub utf16: u32,
    /// The operator's stricter limit, if any.
    pub max_units: Option<u32>,
}

impl Frame {
    /// The single-message limit for a message of `encoding` under this frame.
    pub fn limit(&self, encoding: Encoding) -> u32 {
        let base = encoding.single_limit();
        self.max_units.map_or(base, |m| m.min(base))
    }
}

/// No fitting title has more graphemes than the largest limit has units (each grapheme
/// costs at least one unit), so longer titles are cut here first to bound the work.
const MAX_GRAPHEMES: usize = super::segment::GSM7_SINGLE as usize + 1;

/// The longest acceptable prefix of `title` (which does not fit as it is) such that the
/// message fits `frame`'s limit, or `None` when no prefix of at least `min_chars`
/// user-perceived characters fits. Prefers ending at a word boundary when that keeps at
/// least half of the longest fitting prefix.
pub fn shorten(title: &str, frame: &Frame, min_chars: usize) -> Option<String> {
    // prefix[k] describes the first k graphemes; prefix[0] is the empty title.
    let mut prefix: Vec<Prefix> = Vec::with_capacity(MAX_GRAPHEMES.min(title.len()) + 1);
    prefix.push(Prefix::default());
    for (start, g) in grapheme::graphemes(title).take(MAX_GRAPHEMES) {
        let before = prefix.last().copied().unwrap_or_default();
        let (mut septets, mut gsm, mut utf16) = (0u32, true, 0u32);
        let (mut space, mut trimmable) = (true, true);
        for c in g.chars() {
            match gsm::septets(c) {
                Some(n) => septets += n,
                None => gsm = false,
            }
            utf16 += u32::try_from(c.len_utf16()).unwrap_or(2);
            space &= c.is_whitespace();
            trimmable &= is_trimmable(c);
        }
        prefix.push(Prefix {
            end: start + g.len(),
            septets: before.septets + septets,
            utf16: before.utf16 + utf16,
            non_gsm: before.non_gsm + u32::from(!gsm),
            quotes: before.quotes + u32::from(g == "\""),
            space,
            trimmable,
        });
    }
    let n = prefix.len() - 1;
    let fits = |k: usize| {
        let p = &prefix[k];
        let (enc, units) = if frame.gsm && p.non_gsm == 0 {
            (Encoding::Gsm7, frame.septets + p.septets)
        } else {
            (Encoding::Ucs2, frame.utf16 + p.utf16)
        };
        units <= frame.limit(enc)
    };
    let trim = |mut k: usize| {
        // Trailing separators go; so does a straight double quote left unbalanced at the
        // end, which is an opening one.
        while k > 0
            && (prefix[k].trimmable
                || (prefix[k].quotes % 2 == 1 && title[..prefix[k].end].ends_with('"')))
        {
            k -= 1;
        }
        k
    };
    // Longest fitting cut, measured after trimming.
    let best = (1..n)
        .rev()
        .map(trim)
        .find(|&e| e >= min_chars && fits(e))?;
    // Prefer the last word boundary (a cut just before a space) that keeps enough.
    let word = (1..=best)
        .rev()
        .filter(|&k| prefix.get(k + 1).is_some_and(|p| p.space))
        .map(trim)
        .find(|&e| e >= min_chars && fits(e));
    let end = match word {
        Some(e) if e * 2 >= best => e,
        _ => best,
    };
    Some(title[..prefix[end].end].to_owned())
}

/// What the first k graphemes of a title cost, and what grapheme k itself is.
#[derive(Clone, Copy, Default)]
struct Prefix {
    /// Byte offset where the first k graphemes end.
    end: usize,
    /// Septets of the first k graphemes (GSM-7 ones only).
    septets: u32,
    /// UTF-16 units of the first k graphemes.
    utf16: u32,
    /// How many of the first k graphemes are outside GSM-7.
    non_gsm: u32,
    /// Straight double quotes among the first k graphemes.
    quotes: u32,
    /// Grapheme k (the last one of the prefix) is whitespace.
    space: bool,
    /// Grapheme k may be trimmed from the end of a shortened title.
    trimmable: bool,
}

/// Characters trimmed from the end of a shortened title: whitespace, separators and
/// opening brackets or quotes (closing ones end a complete phrase and stay).
fn is_trimmable(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            ',' | '.'
                | ';'
                | ':'
                | '-'
                | '_'
                | '/'
                | '\\'
                | '|'
                | '&'
                | '+'
                | '*'
                | '#'
                | '@'
                | '!'
                | '?'
                | '('
                | '['
                | '{'
                | '<'
                | '«'
                | '„'
                | '“'
                | '‘'
                | '–'
                | '—'
                | '…'
                | '·'
                | '•'
                | '¡'
                | '¿'
        )
}
