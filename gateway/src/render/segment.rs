//! SMS segmenting as carriers count it: GSM-7 when every character is in the GSM 03.38
//! alphabet (extension characters take two septets), otherwise UCS-2 counted in UTF-16
//! units. One message holds 160 septets / 70 units; a concatenated message holds 153 / 67
//! per part (the user data header takes the rest), and parts are filled greedily with
//! whole user-perceived characters (extended grapheme clusters), so an escape pair, a
//! surrogate pair or an emoji sequence is never split across parts.

#[cfg(test)]
mod tests;

use super::{grapheme, gsm};
use serde::{Deserialize, Serialize};

/// Septets in a single GSM-7 message.
pub const GSM7_SINGLE: u32 = 160;
/// Septets in each part of a concatenated GSM-7 message.
pub const GSM7_PART: u32 = 153;
/// UTF-16 units in a single UCS-2 message.
pub const UCS2_SINGLE: u32 = 70;
/// UTF-16 units in each part of a concatenated UCS-2 message.
pub const UCS2_PART: u32 = 67;

/// The data coding a message is sent with.
#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Encoding {
    /// GSM 03.38 7-bit default alphabet; units are septets.
    #[serde(rename = "GSM-7")]
    Gsm7,
    /// UCS-2 (UTF-16 on the wire); units are UTF-16 code units.
    #[serde(rename = "UCS-2")]
    Ucs2,
}

impl Encoding {
    /// Units a single (unconcatenated) message of this encoding holds.
    pub fn single_limit(self) -> u32 {
        match self {
            Encoding::Gsm7 => GSM7_SINGLE,
            Encoding::Ucs2 => UCS2_SINGLE,
        }
    }

    /// Units each part of a concatenated message of this encoding holds.
    pub fn part_limit(self) -> u32 {
        match self {
            Encoding::Gsm7 => GSM7_PART,
            Encoding::Ucs2 => UCS2_PART,
        }
    }

    /// The name used in the API (`GSM-7` or `UCS-2`).
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Gsm7 => "GSM-7",
            Encoding::Ucs2 => "UCS-2",
        }
    }
}

impl std::fmt::Display for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a text is sent: what the raw-text preview answers.
#[derive(Serialize, Clone, PartialEq, Eq, Debug)]
pub struct SegmentInfo {
    /// GSM-7 when every character is in the GSM 03.38 alphabet, else UCS-2.
    pub encoding: Encoding,
    /// Number of SMS parts the carrier bills (0 for an empty text).
    pub segments: u32,
    /// Septets (GSM-7) or UTF-16 units (UCS-2) of the whole text.
    pub units: u32,
    /// The distinct characters that forced UCS-2, in order of first appearance, so a
    /// settings screen can tell the user what to replace.
    pub ucs2_chars: Vec<char>,
}

/// Encoding and unit count of `text`, without the part split (the fast path used when
/// rendering, where only "does it fit one message" matters).
pub fn measure(text: &str) -> (Encoding, u32) {
    let mut septets = 0u32;
    for c in text.chars() {
        match gsm::septets(c) {
            Some(n) => septets = septets.saturating_add(n),
            None => return (Encoding::Ucs2, utf16_len(text)),
        }
    }
    (Encoding::Gsm7, septets)
}

/// Full segment information for `text`, as carriers count it.
pub fn segment(text: &str) -> SegmentInfo {
    let (encoding, units) = measure(text);
    let mut ucs2_chars = Vec::new();
    if encoding == Encoding::Ucs2 {
        for c in text.chars() {
            if !gsm::is_gsm7(c) && !ucs2_chars.contains(&c) {
                ucs2_chars.push(c);
            }
        }
    }
    let segments = if units == 0 {
        0
    } else if units <= encoding.single_limit() {
        1
    } else {
        count_parts(text, encoding)
    };
    SegmentInfo {
        encoding,
        segments,
        units,
        ucs2_chars,
    }
}

/// Units one string costs in `encoding` (characters outside GSM-7 cost nothing sensible
/// in GSM-7, so callers only ask for GSM-7 of GSM-7 text).
pub fn units_in(s: &str, encoding: Encoding) -> u32 {
    match encoding {
        Encoding::Gsm7 => s
            .chars()
            .map(|c| gsm::septets(c).unwrap_or(1))
            .fold(0u32, u32::saturating_add),
        Encoding::Ucs2 => utf16_len(s),
    }
}

fn utf16_len(s: &str) -> u32 {
    // Two units for a supplementary character (4 UTF-8 bytes), else one; counting bytes
    // avoids re-encoding.
    let supplementary = s.bytes().filter(|&b| b >= 0xF0).count();
    let chars = s.chars().count();
    u32::try_from(chars + supplementary).unwrap_or(u32::MAX)
}

/// Greedy fill of concatenated parts by whole graphemes. In GSM-7 text every character
/// is its own grapheme except CR LF, so characters are placed directly (an escape pair
/// is one placement of two septets). In UCS-2 text graphemes come from UAX #29; one
/// larger than a whole part (only possible with absurd combining sequences) is placed
/// char by char, which still never splits a surrogate pair.
fn count_parts(text: &str, encoding: Encoding) -> u32 {
    let mut fill = Fill {
        cap: encoding.part_limit(),
        parts: 1,
        used: 0,
    };
    match encoding {
        Encoding::Gsm7 => {
            let mut chars = text.chars().peekable();
            while let Some(c) = chars.next() {
                let mut cost = gsm::septets(c).unwrap_or(1);
                if c == '\r' && chars.next_if_eq(&'\n').is_some() {
                    cost += 1;
                }
                fill.place(cost);
            }
        }
        Encoding::Ucs2 => {
            for (_, g) in grapheme::graphemes(text) {
                let cost = utf16_len(g);
                if cost <= fill.cap {
                    fill.place(cost);
                } else {
                    for c in g.chars() {
                        fill.place(u32::try_from(c.len_utf16()).unwrap_or(2));
                    }
                }
            }
        }
    }
    fill.parts
}

/// Parts filled so far and units used in the current one.
struct Fill {
    cap: u32,
    parts: u32,
    used: u32,
}

impl Fill {
    /// Puts an indivisible piece of `cost` units into the current part, or opens a new
    /// part when it does not fit.
    fn place(&mut self, cost: u32) {
        if self.used + cost > self.cap {
            self.parts += 1;
            self.used = 0;
        }
        self.used += cost;
    }
}
