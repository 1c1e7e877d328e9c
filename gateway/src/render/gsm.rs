//! The GSM 03.38 (3GPP TS 23.038) 7-bit default alphabet and its default extension
//! table: which Unicode characters a GSM-7 SMS can carry and how many septets each costs.
//!
//! Hand-written on purpose: the table is a fixed 138-entry fact of the standard, and no
//! maintained crate exposes exactly "septet cost per char" without pulling in a full PDU
//! codec. Position 0x09 is LATIN CAPITAL LETTER C WITH CEDILLA as in TS 23.038 (and as
//! Twilio's calculator counts it); the Unicode mapping file's small `ç` is not accepted.

#[cfg(test)]
mod tests;

/// The ten characters of the default extension table (reached with the 0x1B escape), so
/// each costs two septets: form feed, `^ { } \ [ ~ ] |` and the euro sign.
pub const EXTENSION: [char; 10] = ['\u{0C}', '^', '{', '}', '\\', '[', '~', ']', '|', '€'];

/// The non-ASCII characters of the basic table (one septet each), in code order.
const BASIC_NON_ASCII: [char; 39] = [
    '£', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', 'Ø', 'ø', 'Å', 'å', // 0x01..0x0F
    'Δ', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', 'Æ', 'æ', 'ß', 'É', // 0x10..0x1F
    '¤', '¡', 'Ä', 'Ö', 'Ñ', 'Ü', '§', '¿', 'ä', 'ö', 'ñ', 'ü', 'à', // 0x24..0x7F
];

/// Septets `c` costs in GSM-7: `Some(1)` for the basic table, `Some(2)` for the extension
/// table, `None` when the character cannot be sent in GSM-7 at all (forces UCS-2).
#[inline]
pub fn septets(c: char) -> Option<u32> {
    if c.is_ascii() {
        return match c {
            // Printable ASCII is basic, except the extension characters and the grave
            // accent, which GSM-7 lacks entirely.
            '^' | '{' | '}' | '\\' | '[' | '~' | ']' | '|' | '\u{0C}' => Some(2),
            '`' => None,
            '\n' | '\r' | ' '..='~' => Some(1),
            _ => None,
        };
    }
    if c == '€' {
        Some(2)
    } else if BASIC_NON_ASCII.contains(&c) {
        Some(1)
    } else {
        None
    }
}

/// Whether `c` can be sent in GSM-7 (basic or extension table).
#[inline]
pub fn is_gsm7(c: char) -> bool {
    septets(c).is_some()
}

/// Whether every character of `s` can be sent in GSM-7.
pub fn is_gsm7_str(s: &str) -> bool {
    s.chars().all(is_gsm7)
}
