use proptest::prelude::*;

use super::*;

#[test]
fn accepted_forms_normalise_to_e164() {
    let cases = [
        ("+79991234567", None, "+79991234567", "RU"),
        ("+7 999 123-45-67", None, "+79991234567", "RU"),
        ("8 (999) 123-45-67", Some("RU"), "+79991234567", "RU"),
        ("8 (999) 123-45-67", Some("ru"), "+79991234567", "RU"),
        ("89991234567", Some("RU"), "+79991234567", "RU"),
        ("  +7 (999) 1234567  ", Some("US"), "+79991234567", "RU"),
        ("07400 123456", Some("GB"), "+447400123456", "GB"),
        ("+44 7400 123456", None, "+447400123456", "GB"),
        ("(201) 555-0123", Some("US"), "+12015550123", "US"),
        ("+1 201-555-0123", None, "+12015550123", "US"),
        ("0151 12345678", Some("DE"), "+4915112345678", "DE"),
    ];
    for (input, region, e164, country) in cases {
        let p = parse(input, region).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(p.e164, e164, "{input}");
        assert_eq!(p.region.as_deref(), Some(country), "{input}");
    }
}

#[test]
fn refusals_say_what_is_wrong() {
    type Check = fn(&PhoneError) -> bool;
    let cases: [(&str, Option<&str>, Check); 11] = [
        ("", Some("RU"), |e| *e == PhoneError::Empty),
        ("   ", None, |e| *e == PhoneError::Empty),
        ("89991234567", None, |e| {
            *e == PhoneError::MissingCountryCode
        }),
        ("hello", Some("RU"), |e| *e == PhoneError::Letters),
        ("+7 (999) ---", Some("RU"), |e| {
            matches!(e, PhoneError::Unparseable(_) | PhoneError::NotValid(_))
        }),
        ("+7999", None, |e| {
            matches!(e, PhoneError::Unparseable(_) | PhoneError::NotValid(_))
        }),
        ("+7 999 123 45 67 89", None, |e| {
            matches!(e, PhoneError::Unparseable(_) | PhoneError::NotValid(_))
        }),
        // Moscow landline.
        ("+74951234567", None, |e| {
            *e == PhoneError::NotMobile { kind: "fixed-line" }
        }),
        // Russian toll-free 8-800. phonenumber 0.3 strips the leading 8 of the national
        // number as a trunk prefix (whisperfish/rust-phonenumber#76), so it is refused as
        // not valid rather than as toll-free; refused either way.
        ("8 800 555-35-35", Some("RU"), |e| {
            matches!(
                e,
                PhoneError::NotMobile { kind: "toll-free" } | PhoneError::NotValid(_)
            )
        }),
        ("+79991234567", Some("XX"), |e| {
            *e == PhoneError::UnknownRegion("XX".to_owned())
        }),
        (
            "+7999123456789012345678901234567890123456789012345678901234567890",
            None,
            |e| *e == PhoneError::TooLong,
        ),
    ];
    for (input, region, check) in cases {
        let err = parse(input, region).expect_err(input);
        assert!(check(&err), "{input}: {err:?}");
        assert!(!err.to_string().is_empty());
    }
}

#[test]
fn errors_never_echo_the_full_number() {
    let err = parse("+74951234567", None).expect_err("fixed line");
    assert!(!err.to_string().contains("4951234567"));
    let err = parse("+7 000 000 00 00", None).expect_err("invalid");
    assert!(!err.to_string().contains("0000000000"), "{err}");
}

#[test]
fn debug_masks_the_number() {
    let p = parse("+79991234567", None).expect("valid");
    let shown = format!("{p:?}");
    assert!(
        shown.contains("+7999***4567") && !shown.contains("1234567"),
        "{shown}"
    );
}

#[test]
fn us_numbers_are_fixed_line_or_mobile_and_accepted() {
    let p = parse("+12015550123", None).expect("accepted");
    assert_eq!(p.e164, "+12015550123");
}

#[test]
fn mask_table() {
    let cases = [
        ("+79991234567", "+7999***4567"),
        ("+447911123456", "+44791***3456"),
        ("+12025550143", "+1202***0143"),
        ("+380501234567", "+380501***4567"),
        ("79991234567", "+7999***4567"),
        ("+7999123", "+***23"),
        ("+12345", "***"),
        ("", "***"),
        ("ж+7ж999ж", "***"),
        ("ж+7ж999ж1234", "+***34"),
        ("+7 (999) 123-45-67", "+7999***4567"),
        ("<script>+79991234567", "+7999***4567"),
    ];
    for (input, expected) in cases {
        assert_eq!(mask(input), expected, "{input}");
    }
}

#[test]
fn invalid_numbers_still_have_an_e164_spelling() {
    assert!(parse("+88213001234", None).is_err());
    assert_eq!(
        e164_of("+882 1300 1234", None).as_deref(),
        Some("+88213001234")
    );
    assert_eq!(
        e164_of("8 (999) 123-45-67", Some("RU")).as_deref(),
        Some("+79991234567")
    );
    assert_eq!(e164_of("not a phone", None), None);
    assert_eq!(e164_of("+7-999-CALL-NOW", None), None);
}

#[test]
fn letters_are_not_read_off_a_keypad() {
    for input in ["+7-999-CALL-NOW", "+1 800 FLOWERS", "8 (999) 12E-45-67"] {
        assert_eq!(
            parse(input, Some("RU")),
            Err(PhoneError::Letters),
            "{input}"
        );
    }
    assert!(parse("+7-999-123-45-67", None).is_ok());
}

proptest! {
    #[test]
    fn mask_never_panics_and_hides_the_middle(s in any::<String>()) {
        let m = mask(&s);
        prop_assert!(m.contains("***"));
        prop_assert!(m.chars().all(|c| c == '+' || c == '*' || c.is_ascii_digit()));
    }

    #[test]
    fn mask_of_a_number_shows_fewer_digits_than_it_has(digits in "[1-9][0-9]{9,14}") {
        let m = mask(&format!("+{digits}"));
        let shown = m.chars().filter(char::is_ascii_digit).count();
        prop_assert!(shown <= 10, "{} shows {}", m, shown);
        prop_assert!(shown < digits.len());
    }

    #[test]
    fn parse_never_panics(s in "\\PC{0,40}", region in prop::sample::select(&["RU", "GB", "US", "DE", "zz"][..])) {
        let _ = parse(&s, Some(region));
    }
}

/// What `parse` answered before it asked the metadata once: the crate's own
/// `is_valid`, `number_type`, region and `Mode::E164` formatter, each on its own.
fn parse_reference(input: &str, region: Option<&str>) -> Result<Phone, PhoneError> {
    use phonenumber::Mode;
    let number = read(input, region)?;
    let e164 = number.format().mode(Mode::E164).to_string();
    if !number.is_valid() {
        return Err(PhoneError::NotValid(mask(&e164)));
    }
    check_type(number.number_type(&DATABASE))?;
    Ok(Phone {
        e164,
        region: number.country().id().map(|id| id.as_ref().to_owned()),
    })
}

#[test]
fn one_metadata_lookup_answers_as_the_separate_questions_did() {
    // Every example number of every region and number type in the metadata (mobile,
    // fixed line, toll-free, …, in international and national form), plus each with its
    // last digit dropped (mostly invalid lengths): the answers must not change.
    let mut inputs = Vec::new();
    for meta in DATABASE.iter() {
        let d = meta.descriptors();
        let all = [
            Some(d.general()),
            d.fixed_line(),
            d.mobile(),
            d.toll_free(),
            d.premium_rate(),
            d.shared_cost(),
            d.personal_number(),
            d.voip(),
            d.pager(),
            d.uan(),
            d.voicemail(),
            d.short_code(),
            d.no_international(),
        ];
        for example in all.into_iter().flatten().filter_map(|d| d.example()) {
            let intl = format!("+{}{example}", meta.country_code());
            let short = intl[..intl.len() - 1].to_owned();
            inputs.push((intl, None));
            inputs.push((short, None));
            if meta.id().len() == 2 {
                inputs.push((example.to_owned(), Some(meta.id().to_owned())));
            }
        }
    }
    assert!(inputs.len() > 2000, "only {} examples", inputs.len());
    let mut accepted = 0;
    for (input, region) in &inputs {
        let got = parse(input, region.as_deref());
        accepted += usize::from(got.is_ok());
        assert_eq!(
            got,
            parse_reference(input, region.as_deref()),
            "{input} in {region:?}"
        );
    }
    // Both outcomes are exercised.
    assert!(
        accepted > 500 && accepted < inputs.len() - 500,
        "{accepted}"
    );
}
