//! Building the `submit_sm` for one [`SendRequest`]: addresses with their TON/NPI, the
//! text in the data coding the gateway rendered it for, receipts and validity.

use crate::config::SmppSettings;
use gateway_sdk::{AdapterError, SendRequest, TextEncoding};
use rusmpp::extra::encoding::gsm7bit::Gsm7BitUnpacked;
use rusmpp::pdus::SubmitSm;
use rusmpp::types::{COctetString, EmptyOrFullCOctetString, OctetString};
use rusmpp::values::{DataCoding, Npi, RegisteredDelivery, Ton};

/// `data_coding` for the SMSC's default alphabet (GSM 03.38).
pub const DATA_CODING_GSM7: u8 = 0;
/// `data_coding` for UCS-2.
pub const DATA_CODING_UCS2: u8 = 8;

/// The text as `short_message` bytes and its `data_coding`.
///
/// GSM-7 when the gateway rendered the text for GSM-7 (or, from a gateway that does not
/// say, when every character is in the GSM 03.38 alphabet), else UCS-2. GSM-7 is one
/// septet per octet unless `packed`.
pub fn encode_text(text: &str, encoding: Option<TextEncoding>, packed: bool) -> (Vec<u8>, u8) {
    if encoding != Some(TextEncoding::Ucs2)
        && let Ok(septets) = Gsm7BitUnpacked::new().encode_to_vec(text)
    {
        let bytes = if packed {
            pack_septets(&septets)
        } else {
            septets
        };
        return (bytes, DATA_CODING_GSM7);
    }
    // UTF-16BE, written here rather than with a UCS-2 encoder crate: those refuse
    // characters outside the BMP (emoji), which handsets decode from surrogate pairs and
    // which the gateway's renderer counts as two UCS-2 units.
    let bytes = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    (bytes, DATA_CODING_UCS2)
}

/// Packs 7-bit septets into octets (GSM 03.38 §6.1.2.1.1: each septet's bits follow the
/// previous one's, least significant first). No codec crate in use offers packing.
pub fn pack_septets(septets: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(septets.len() * 7 / 8 + 1);
    let (mut acc, mut bits) = (0u16, 0u32);
    for &s in septets {
        acc |= u16::from(s & 0x7F) << bits;
        bits += 7;
        while bits >= 8 {
            out.push((acc & 0xFF) as u8);
            acc >>= 8;
            bits -= 8;
        }
    }
    if bits > 0 {
        out.push((acc & 0xFF) as u8);
    }
    out
}

/// A relative SMPP time (`YYMMDDhhmmss000R`) for `secs` from now.
pub fn relative_validity(secs: u64) -> String {
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (years, days) = (days / 365, days % 365);
    let (months, days) = (days / 30, days % 30);
    format!(
        "{:02}{:02}{:02}{:02}{:02}{:02}000R",
        years.min(99),
        months,
        days,
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// TON and NPI of the sender: configured, or guessed from its shape.
fn source_ton_npi(settings: &SmppSettings, sender: &str) -> (u8, u8) {
    let numeric = sender
        .trim_start_matches('+')
        .bytes()
        .all(|b| b.is_ascii_digit());
    let ton = settings.source_ton.unwrap_or(if numeric { 1 } else { 5 });
    let npi = settings.source_npi.unwrap_or(if numeric { 1 } else { 0 });
    (ton, npi)
}

fn c_string<const MIN: usize, const MAX: usize>(
    field: &str,
    value: &str,
) -> Result<COctetString<MIN, MAX>, AdapterError> {
    COctetString::from_string(value.to_owned())
        .map_err(|e| AdapterError::rejected(format!("`{field}` cannot be sent over SMPP: {e}")))
}

/// The `submit_sm` for `request`.
pub fn submit_sm(settings: &SmppSettings, request: &SendRequest) -> Result<SubmitSm, AdapterError> {
    let sender = request
        .sender_id
        .as_deref()
        .unwrap_or(&settings.source_addr);
    let (source_ton, source_npi) = source_ton_npi(settings, sender);
    let destination = request.phone.trim_start_matches('+');
    if destination.is_empty() || !destination.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AdapterError::rejected(
            "the phone is not an E.164 number (`+` and digits)",
        ));
    }
    let (bytes, data_coding) = encode_text(&request.text, request.encoding, settings.gsm7_packed);
    let short_message = OctetString::from_vec(bytes).map_err(|_| {
        AdapterError::rejected("the text is longer than one submit_sm carries (254 octets)")
    })?;
    let validity = if settings.validity_from_ttl && request.code_ttl_secs > 0 {
        relative_validity(request.code_ttl_secs)
    } else {
        String::new()
    };
    let validity =
        EmptyOrFullCOctetString::from_string(validity).map_err(|e| AdapterError::Internal {
            message: format!("validity_period: {e}"),
        })?;
    Ok(SubmitSm::builder()
        .source_addr_ton(Ton::from(source_ton))
        .source_addr_npi(Npi::from(source_npi))
        .source_addr(c_string("sender", sender.trim_start_matches('+'))?)
        .dest_addr_ton(Ton::from(settings.dest_ton))
        .dest_addr_npi(Npi::from(settings.dest_npi))
        .destination_addr(c_string("phone", destination)?)
        .validity_period(validity)
        .registered_delivery(RegisteredDelivery::from(u8::from(
            settings.delivery_receipts,
        )))
        .data_coding(DataCoding::from(data_coding))
        .short_message(short_message)
        .build())
}
