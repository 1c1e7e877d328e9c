use super::*;

/// The basic table in code order 0x00..0x7F without ESC (0x1B), transcribed from
/// 3GPP TS 23.038 (the same table Twilio's and Sinch's documentation print).
const BASIC_IN_CODE_ORDER: &str = concat!(
    "@£$¥èéùìòÇ\nØø\rÅå",
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ",
    " !\"#¤%&'()*+,-./",
    "0123456789:;<=>?",
    "¡ABCDEFGHIJKLMNO",
    "PQRSTUVWXYZÄÖÑÜ§",
    "¿abcdefghijklmno",
    "pqrstuvwxyzäöñüà",
);

#[test]
fn every_basic_character_costs_one_septet() {
    assert_eq!(BASIC_IN_CODE_ORDER.chars().count(), 127);
    for c in BASIC_IN_CODE_ORDER.chars() {
        assert_eq!(septets(c), Some(1), "{c:?}");
    }
}

#[test]
fn every_extension_character_costs_two_septets() {
    for c in "\u{0C}^{}\\[~]|€".chars() {
        assert_eq!(septets(c), Some(2), "{c:?}");
    }
}

#[test]
fn the_tables_contain_nothing_else() {
    let mut one = 0;
    let mut two = 0;
    for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
        match septets(c) {
            Some(1) => {
                one += 1;
                assert!(BASIC_IN_CODE_ORDER.contains(c), "{c:?} counted as basic");
            }
            Some(2) => {
                two += 1;
                assert!(EXTENSION.contains(&c), "{c:?} counted as extension");
            }
            Some(n) => panic!("{c:?} costs {n}"),
            None => {}
        }
    }
    assert_eq!((one, two), (127, 10));
}

#[test]
fn common_non_gsm_characters_are_rejected() {
    for c in [
        '`', 'ç', 'á', 'Ж', 'й', '😀', '\t', '\u{0}', '’', '—', '\u{A0}', 'α', '€',
    ] {
        let expected = c == '€';
        assert_eq!(is_gsm7(c), expected, "{c:?}");
    }
    assert!(is_gsm7_str("Confirmation code: 1234"));
    assert!(!is_gsm7_str("Код: 1234"));
    assert!(is_gsm7_str(""));
}
