//! The `%SALON_TITLE%` value: choosing between company and location name, normalising
//! whitespace, and shortening it to a prefix of whole user-perceived characters so the
//! message fits a limit (preferring a word boundary, trimming trailing punctuation).

#[cfg(test)]
mod tests;

use unicode_segmentation::UnicodeSegmentation;

use super::gsm;
use super::segment::Encoding;

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
    let mut ends = Vec::with_capacity(MAX_GRAPHEMES.min(title.len()) + 1);
    let mut septets = vec![0u32];
    let mut utf16 = vec![0u32];
    let mut non_gsm = vec![0u32];
    let mut space_after = Vec::new(); // grapheme i is whitespace
    let mut trimmable = Vec::new(); // grapheme i may be trimmed from the end
    ends.push(0usize);
    for (start, g) in title.grapheme_indices(true).take(MAX_GRAPHEMES) {
        let (s, u) = (last(&septets), last(&utf16));
        let gs: Option<u32> = g.chars().map(gsm::septets).sum();
        septets.push(s + gs.unwrap_or(0));
        utf16.push(u + u32::try_from(g.encode_utf16().count()).unwrap_or(u32::MAX / 4));
        non_gsm.push(last(&non_gsm) + u32::from(gs.is_none()));
        space_after.push(g.chars().all(char::is_whitespace));
        trimmable.push(g.chars().all(is_trimmable));
        ends.push(start + g.len());
    }
    let n = ends.len() - 1;
    let fits = |k: usize| {
        let gsm = frame.gsm && non_gsm[k] == 0;
        let (enc, units) = if gsm {
            (Encoding::Gsm7, frame.septets + septets[k])
        } else {
            (Encoding::Ucs2, frame.utf16 + utf16[k])
        };
        units <= frame.limit(enc)
    };
    let trim = |mut k: usize| {
        loop {
            while k > 0 && trimmable[k - 1] {
                k -= 1;
            }
            // An unbalanced straight double quote at the end is an opening one.
            let quotes = title[..ends[k]].matches('"').count();
            if k > 0 && quotes % 2 == 1 && title[..ends[k]].ends_with('"') {
                k -= 1;
                continue;
            }
            return k;
        }
    };
    // Longest fitting cut, measured after trimming.
    let best = (1..n)
        .rev()
        .map(trim)
        .find(|&e| e >= min_chars && fits(e))?;
    // Prefer the last word boundary (a cut just before a space) that keeps enough.
    let word = (1..=best)
        .rev()
        .filter(|&k| space_after.get(k).copied().unwrap_or(false))
        .map(trim)
        .find(|&e| e >= min_chars && fits(e));
    let end = match word {
        Some(e) if e * 2 >= best => e,
        _ => best,
    };
    Some(title[..ends[end]].to_owned())
}

fn last(v: &[u32]) -> u32 {
    v.last().copied().unwrap_or(0)
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
