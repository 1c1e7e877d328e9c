//! Phone numbers: parsing what a person typed (E.164 or a national form such as
//! `8 (999) 123-45-67` with the location's country as default region) into E.164 with
//! the maintained `phonenumber` crate (a port of Google's libphonenumber), refusing
//! numbers that cannot receive an SMS, and masking numbers for logs (`+7999***4567`).
//!
//! Accepted number types: `Mobile`, `FixedLineOrMobile` (regions such as the US where
//! the two cannot be told apart) and `Unknown` on a number the metadata calls valid.
//! Everything else (fixed line, toll-free, premium rate, shared cost, VoIP, personal,
//! pager, UAN, voicemail, short codes) is refused: such numbers cannot take an SMS
//! or are the usual targets of SMS-pumping fraud.

#[cfg(test)]
mod tests;

use phonenumber::country::Id;
use phonenumber::metadata::DATABASE;
use phonenumber::{ParseError, PhoneNumber, Type};
use thiserror::Error;

/// Longest input accepted; real numbers with formatting are far shorter, and the limit
/// keeps the parser's work bounded.
const MAX_INPUT: usize = 64;

/// A validated, SMS-capable phone number. Its `Debug` shows only the masked number.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone {
    /// The number in E.164, e.g. `+79991234567`. Log only [`mask`] of it.
    pub e164: String,
    /// ISO 3166-1 alpha-2 region of the number (e.g. `RU`), when the metadata knows it.
    pub region: Option<String>,
}

impl std::fmt::Debug for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Phone")
            .field("e164", &mask(&self.e164))
            .field("region", &self.region)
            .finish()
    }
}

/// Why a phone number was refused; each message says what the user should change.
#[derive(Error, Clone, PartialEq, Eq, Debug)]
pub enum PhoneError {
    /// Nothing was given.
    #[error("the phone number is empty; enter a mobile number such as +79991234567")]
    Empty,
    /// The input is longer than any formatted phone number.
    #[error("the phone number is too long; enter a mobile number such as +79991234567")]
    TooLong,
    /// The default region is not an ISO 3166-1 alpha-2 code the metadata knows.
    #[error(
        "the location country `{0}` is not a known ISO 3166-1 alpha-2 code; fix the location settings"
    )]
    UnknownRegion(String),
    /// A national number was given and there is no country to read it in.
    #[error("the phone number has no country code; enter it in international form starting with +")]
    MissingCountryCode,
    /// The text is not a phone number.
    #[error(
        "the phone number could not be read ({0}); enter it in international form such as +79991234567"
    )]
    Unparseable(String),
    /// Letters were given: libphonenumber would read them off a keypad (`CALL` as
    /// `2255`), which a client typing a phone never means.
    #[error("the phone number contains letters; enter digits only, such as +79991234567")]
    Letters,
    /// An extension was given; SMS cannot be sent to an extension.
    #[error("the phone number has an extension; enter the mobile number without it")]
    Extension,
    /// Parsed, but no such number exists in the numbering plan (wrong length or range).
    #[error("{0} is not a valid phone number in its numbering plan; check the digits")]
    NotValid(String),
    /// A valid number of a kind that cannot receive SMS.
    #[error("the number is a {kind} number, which cannot receive SMS; enter a mobile number")]
    NotMobile {
        /// Human name of the number type, e.g. `fixed-line`.
        kind: &'static str,
    },
}

/// Parses `input` and checks that it is a valid, SMS-capable number. `default_region` is
/// the location's country (ISO 3166-1 alpha-2, any case), used for national forms.
///
/// Every send parses a phone, so this asks the metadata as little as it can: each
/// question (`is_valid`, `number_type`, the region, the E.164 formatter) looks the
/// number's region up again and matches it against up to eleven patterns, each behind
/// the crate's global regex cache. phonenumber's `is_valid` is "the type of the national
/// number is not `Unknown`", so for a number without leading zeros one `number_type`
/// answers both; with leading zeros (Italy, Tonga, …) the crate types the number
/// without them and validates it with them, so both questions are asked as before.
pub fn parse(input: &str, default_region: Option<&str>) -> Result<Phone, PhoneError> {
    let number = read(input, default_region)?;
    let e164 = e164(&number);
    let meta = number.metadata(&DATABASE);
    let kind = match meta {
        Some(_) => number.number_type(&DATABASE),
        None => Type::Unknown,
    };
    let valid = if number.national().zeros() == 0 {
        kind != Type::Unknown
    } else {
        number.is_valid()
    };
    if !valid {
        return Err(PhoneError::NotValid(mask(&e164)));
    }
    check_type(kind)?;
    Ok(Phone {
        e164,
        region: meta.map(|m| m.id().to_owned()),
    })
}

/// The E.164 spelling: what phonenumber's `Mode::E164` formatter writes (`+`, the
/// country code, the national number with its leading zeros), without the formatter's
/// search for a national format pattern, which E.164 does not use.
fn e164(number: &PhoneNumber) -> String {
    format!("+{}{}", number.code().value(), number.national())
}

/// The E.164 spelling of what was typed, whether or not the number is valid or can take
/// an SMS (so a blocked prefix can be recognised before the number is judged).
pub fn e164_of(input: &str, default_region: Option<&str>) -> Option<String> {
    read(input, default_region).ok().map(|n| e164(&n))
}

/// Reads the digits of a number, without judging whether it exists.
fn read(input: &str, default_region: Option<&str>) -> Result<PhoneNumber, PhoneError> {
    let input = input.trim();
    if input.is_empty() {
        return Err(PhoneError::Empty);
    }
    if input.len() > MAX_INPUT {
        return Err(PhoneError::TooLong);
    }
    if input.chars().any(char::is_alphabetic) {
        return Err(PhoneError::Letters);
    }
    let region = match default_region {
        Some(r) => Some(
            r.trim()
                .to_ascii_uppercase()
                .parse::<Id>()
                .map_err(|_| PhoneError::UnknownRegion(r.to_owned()))?,
        ),
        None => None,
    };
    let number = phonenumber::parse(region, input).map_err(|e| match e {
        ParseError::InvalidCountryCode if region.is_none() && !input.starts_with('+') => {
            PhoneError::MissingCountryCode
        }
        other => PhoneError::Unparseable(other.to_string()),
    })?;
    if number.extension().is_some() {
        return Err(PhoneError::Extension);
    }

    Ok(number)
}

/// Loads the numbering-plan metadata now rather than on the first request that parses
/// a number (it takes most of a second in a debug build).
pub fn warm() {
    let _ = parse("+79991234567", None);
}

fn check_type(kind: Type) -> Result<(), PhoneError> {
    let kind = match kind {
        Type::Mobile | Type::FixedLineOrMobile | Type::Unknown => return Ok(()),
        Type::FixedLine => "fixed-line",
        Type::TollFree => "toll-free",
        Type::PremiumRate => "premium-rate",
        Type::SharedCost => "shared-cost",
        Type::PersonalNumber => "personal",
        Type::Voip => "VoIP",
        Type::Pager => "pager",
        Type::Uan => "universal access",
        Type::Emergency => "emergency",
        Type::Voicemail => "voicemail",
        Type::ShortCode => "short code",
        Type::StandardRate => "standard-rate",
        Type::Carrier => "carrier-specific",
        Type::NoInternational => "national-only",
    };
    Err(PhoneError::NotMobile { kind })
}

/// Masks a number for logs: `+79991234567` becomes `+7999***4567` (country code and three
/// digits kept, the last four kept, the rest hidden). Only digits of the input are ever
/// echoed; short or odd inputs degrade to fewer visible digits, and nothing panics.
pub fn mask(e164: &str) -> String {
    let digits: Vec<u8> = e164.bytes().filter(u8::is_ascii_digit).take(32).collect();
    let n = digits.len();
    let lead = country_code_len(&digits) + 3;
    let text = |d: &[u8]| String::from_utf8_lossy(d).into_owned();
    if n >= lead + 4 + 2 {
        format!("+{}***{}", text(&digits[..lead]), text(&digits[n - 4..]))
    } else if n >= 6 {
        format!("+***{}", text(&digits[n - 2..]))
    } else {
        "***".to_owned()
    }
}

/// Length of the country calling code at the start of `digits` (codes are prefix-free,
/// so the first length the metadata knows is the one); 1 when none is known.
fn country_code_len(digits: &[u8]) -> usize {
    (1..=3)
        .find(|&len| {
            digits
                .get(..len)
                .and_then(|d| std::str::from_utf8(d).ok())
                .and_then(|s| s.parse::<u16>().ok())
                .is_some_and(|code| DATABASE.by_code(&code).is_some())
        })
        .unwrap_or(1)
}

/// `text` with every run of 7 or more digits (optionally `+`-prefixed) masked like a
/// phone. Applied by the host to adapter and provider error messages before they reach
/// logs, stored attempts or responses, since adapter code is third-party.
pub fn redact_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.chars().filter(char::is_ascii_digit).count() >= 7 {
            out.push_str(&mask(run));
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() || (c == '+' && run.is_empty()) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod redact_tests {
    use super::*;

    #[test]
    fn masks_long_digit_runs_only() {
        assert_eq!(
            redact_numbers("The 'To' number +79991234567 is not valid"),
            "The 'To' number +7999***4567 is not valid"
        );
        assert_eq!(
            redact_numbers("error 21211 at 12:00"),
            "error 21211 at 12:00"
        );
        let r = redact_numbers("to 79991234567.");
        assert!(!r.contains("9991234567"), "{r}");
        assert_eq!(redact_numbers(""), "");
    }
}
