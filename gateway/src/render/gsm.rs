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

/// Septet cost of each ASCII character: 1 basic, 2 extension, 0 not in GSM-7.
const ASCII_COST: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut i = b' ';
    while i <= b'~' {
        t[i as usize] = 1;
        i += 1;
    }
    t[b'\n' as usize] = 1;
    t[b'\r' as usize] = 1;
    // The grave accent is the one printable ASCII character GSM-7 lacks.
    t[b'`' as usize] = 0;
    let ext = [b'^', b'{', b'}', b'\\', b'[', b'~', b']', b'|', 0x0C];
    let mut j = 0;
    while j < ext.len() {
        t[ext[j] as usize] = 2;
        j += 1;
    }
    t
};

/// Septets `c` costs in GSM-7: `Some(1)` for the basic table, `Some(2)` for the extension
/// table, `None` when the character cannot be sent in GSM-7 at all (forces UCS-2).
#[inline]
pub fn septets(c: char) -> Option<u32> {
    if c.is_ascii() {
        let cost = ASCII_COST[c as usize];
        return (cost != 0).then_some(u32::from(cost));
    }
    match c {
        '€' => Some(2),
        '£' | '¥' | 'è' | 'é' | 'ù' | 'ì' | 'ò' | 'Ç' | 'Ø' | 'ø' | 'Å' | 'å' | 'Δ' | 'Φ' | 'Γ'
        | 'Λ' | 'Ω' | 'Π' | 'Ψ' | 'Σ' | 'Θ' | 'Ξ' | 'Æ' | 'æ' | 'ß' | 'É' | '¤' | '¡' | 'Ä'
        | 'Ö' | 'Ñ' | 'Ü' | '§' | '¿' | 'ä' | 'ö' | 'ñ' | 'ü' | 'à' => Some(1),
        _ => None,
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
