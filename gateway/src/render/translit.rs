//! Transliteration of a title into the GSM-7 alphabet for operators that only accept
//! GSM-7 (`gsm7_only`): characters already in GSM-7 are kept (so `é`, `Ä`, `Ω` survive),
//! look-alikes go through smart encoding, and everything else is transliterated with the
//! maintained `deunicode` crate (Cyrillic `Салон` becomes `Salon`). Anything still outside
//! GSM-7 after that (a grave accent, an unmapped symbol) is dropped, and runs of spaces
//! are collapsed so the result reads cleanly.

#[cfg(test)]
mod tests;

use super::{gsm, smart};

/// `s` rewritten so that every character is in GSM-7. May be empty when nothing in `s`
/// has a readable Latin form.
pub fn to_gsm7(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if gsm::is_gsm7(c) {
            out.push(c);
        } else if let Some(r) = smart::replacement(c) {
            out.push_str(r);
        } else if let Some(t) = deunicode::deunicode_char(c) {
            // deunicode maps to ASCII, but ASCII still has one non-GSM character (`).
            out.extend(t.chars().filter(|&c| gsm::is_gsm7(c)));
        }
    }
    collapse_spaces(&out)
}

fn collapse_spaces(s: &str) -> String {
    s.split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
