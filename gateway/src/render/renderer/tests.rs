use super::*;
use crate::render::config::OperatorConfig;
use crate::render::segment::{measure, segment};

const MEGAFON: &str = "+79201234567";
const MTS: &str = "+79101234567";
const GSM_ONLY: &str = "+447911123456";
const GSM_REFUSE: &str = "+4915112345678";
const NO_SMART: &str = "+33612345678";
const OTHER: &str = "+12025550143";

fn operator(id: &str, prefix: &str) -> OperatorConfig {
    OperatorConfig {
        id: id.to_owned(),
        prefixes: vec![prefix.to_owned()],
        ..OperatorConfig::default()
    }
}

fn config(min_title_chars: usize) -> RenderConfig {
    let mut megafon = operator("ru-megafon", "+7920");
    megafon.require_title = Some(true);
    megafon.max_units = Some(69);
    megafon.sender_id = Some("Salon".to_owned());
    let mut mts = operator("ru-mts", "+7910");
    mts.require_title = Some(true);
    let mut gsm_only = operator("gsm-only", "+44");
    gsm_only.gsm7_only = Some(true);
    let mut gsm_refuse = operator("gsm-refuse", "+49");
    gsm_refuse.gsm7_only = Some(true);
    gsm_refuse.transliterate_title = Some(false);
    let mut no_smart = operator("no-smart", "+33");
    no_smart.smart_encoding = Some(false);
    RenderConfig {
        min_title_chars,
        languages: vec![LanguageConfig {
            code: "de".to_owned(),
            code_only: "Bestätigungscode: %CODE%".to_owned(),
            code_with_title: "Bestätigungscode für %SALON_TITLE%: %CODE%".to_owned(),
        }],
        operators: vec![megafon, mts, gsm_only, gsm_refuse, no_smart],
        ..RenderConfig::default()
    }
}

fn renderer() -> Renderer {
    Renderer::new(&config(3)).expect("valid config")
}

fn req<'a>(
    language: &'a str,
    template: TemplateKind,
    company: Option<&'a str>,
    phone: &'a str,
) -> RenderRequest<'a> {
    RenderRequest {
        language,
        template,
        company_name: company,
        location_name: "Main Street",
        code: "482193",
        phone_e164: phone,
    }
}

use TemplateKind::{CodeOnly, CodeWithTitle};

#[test]
fn plain_code_only_message() {
    let r = renderer()
        .render(&req("en", CodeOnly, Some("Lily"), OTHER))
        .expect("renders");
    assert_eq!(r.text, "Confirmation code: 482193");
    assert_eq!(r.masked_text, "Confirmation code: ******");
    assert_eq!((r.encoding, r.units, r.segments), (Encoding::Gsm7, 25, 1));
    assert_eq!((r.max_units, r.fits_single_segment), (160, true));
    assert_eq!(r.operator, "default");
    assert!(r.rules_applied.is_empty());
    assert_eq!(
        (r.template, r.title_used, r.title_shortened),
        (CodeOnly, None, false)
    );
    assert_eq!(r.sender_id, None);
}

#[test]
fn built_in_russian_templates() {
    let r = renderer()
        .render(&req("ru", CodeWithTitle, Some("Ромашка"), OTHER))
        .expect("renders");
    assert_eq!(r.text, "Код подтверждения для Ромашка: 482193");
    assert_eq!((r.encoding, r.units), (Encoding::Ucs2, 37));
    assert_eq!(r.max_units, 70);
    let r = renderer()
        .render(&req("RU", CodeOnly, None, OTHER))
        .expect("language codes ignore case");
    assert_eq!(r.text, "Код подтверждения: 482193");
}

/// Required scenario: a 90-character Cyrillic company name under a 69-unit rule.
#[test]
fn long_cyrillic_name_is_shortened_to_fit_69_units() {
    let name = "Салон красоты и здоровья Ромашка на Ленинском проспекте у станции метро Юго-Западная д 100";
    assert_eq!(name.chars().count(), 90);
    let r = renderer()
        .render(&req("ru", CodeWithTitle, Some(name), MEGAFON))
        .expect("renders");
    assert!(r.title_shortened);
    assert!(r.fits_single_segment);
    assert_eq!(r.max_units, 69);
    assert!(r.units <= 69, "{} units", r.units);
    assert_eq!(measure(&r.text), (Encoding::Ucs2, r.units));
    let title = r.title_used.clone().expect("title kept");
    assert!(name.starts_with(&title), "{title}");
    assert!(!title.ends_with(' '));
    assert_eq!(r.text, format!("Код подтверждения для {title}: 482193"));
    assert_eq!(
        r.masked_text,
        format!("Код подтверждения для {title}: ******")
    );
    assert_eq!(r.rules_applied, ["operator_max_units", "title_shortened"]);
    assert_eq!(r.sender_id.as_deref(), Some("Salon"));
    // 24 units of template, 6 of code: 39 left; the cut lands on a word boundary.
    assert_eq!(title, "Салон красоты и здоровья Ромашка на");
    assert_eq!(r.units, 65);
}

/// Required scenario: a blank company name uses the location name.
#[test]
fn blank_company_name_uses_location_name() {
    for company in [None, Some(""), Some("   ")] {
        let r = renderer()
            .render(&req("en", CodeWithTitle, company, OTHER))
            .expect("renders");
        assert_eq!(r.text, "Confirmation code for Main Street: 482193");
        assert_eq!(r.title_used.as_deref(), Some("Main Street"));
        assert_eq!(r.rules_applied, ["location_name_as_title"]);
    }
}

/// Required scenario: an operator that requires the title upgrades `code_only`.
#[test]
fn required_title_turns_code_only_into_title_template() {
    let r = renderer()
        .render(&req("en", CodeOnly, Some("Lily"), MTS))
        .expect("renders");
    assert_eq!(r.template, CodeWithTitle);
    assert_eq!(r.text, "Confirmation code for Lily: 482193");
    assert_eq!(r.operator, "ru-mts");
    assert_eq!(r.rules_applied, ["title_required_by_operator"]);
}

/// Required scenario: a title containing `%CODE%` is printed literally.
#[test]
fn title_with_placeholder_is_literal() {
    let r = renderer()
        .render(&req(
            "en",
            CodeWithTitle,
            Some("100%CODE% %SALON_TITLE%"),
            OTHER,
        ))
        .expect("renders");
    assert_eq!(
        r.text,
        "Confirmation code for 100%CODE% %SALON_TITLE%: 482193"
    );
    assert_eq!(
        r.masked_text,
        "Confirmation code for 100%CODE% %SALON_TITLE%: ******"
    );
}

#[test]
fn configured_language_renders() {
    let r = renderer()
        .render(&req("de", CodeWithTitle, Some("Lily"), OTHER))
        .expect("renders");
    assert_eq!(r.text, "Bestätigungscode für Lily: 482193");
    assert_eq!(r.encoding, Encoding::Gsm7, "ä and ü are both in GSM-7");
    let r = renderer()
        .render(&req("de", CodeWithTitle, Some("Café Noël"), OTHER))
        .expect("renders");
    assert_eq!(r.encoding, Encoding::Ucs2, "ë is not in GSM-7");
    assert_eq!(segment(&r.text).ucs2_chars, ['ë']);
}

#[test]
fn title_that_cannot_fit_falls_back_to_code_only() {
    let r = Renderer::new(&config(50)).expect("valid");
    let name = "Ж".repeat(60);
    let out = r
        .render(&req("en", CodeWithTitle, Some(&name), OTHER))
        .expect("falls back");
    assert_eq!(out.text, "Confirmation code: 482193");
    assert_eq!(out.template, CodeOnly);
    assert_eq!(out.encoding, Encoding::Gsm7);
    assert_eq!(out.rules_applied, ["fallback_code_only"]);
    assert_eq!((out.title_used, out.title_shortened), (None, false));
}

#[test]
fn title_that_cannot_fit_a_required_title_operator_is_too_long() {
    let r = Renderer::new(&config(50)).expect("valid");
    let name = "Ж".repeat(60);
    let err = r
        .render(&req("ru", CodeOnly, Some(&name), MEGAFON))
        .expect_err("too long");
    match &err {
        RenderError::TooLong {
            units,
            max_units,
            encoding,
            segments,
            operator,
            template,
            ..
        } => {
            assert_eq!((*units, *max_units, *encoding), (90, 69, Encoding::Ucs2));
            assert_eq!(*segments, 2);
            assert_eq!(
                (operator.as_str(), *template),
                ("ru-megafon", CodeWithTitle)
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("90") && msg.contains("69"), "{msg}");
}

#[test]
fn a_code_that_cannot_fit_is_too_long() {
    let code = "7".repeat(150);
    let mut q = req("en", CodeOnly, None, OTHER);
    q.code = &code;
    let err = renderer().render(&q).expect_err("too long");
    assert!(matches!(
        err,
        RenderError::TooLong {
            units: 169,
            max_units: 160,
            encoding: Encoding::Gsm7,
            segments: 2,
            ..
        }
    ));
    assert!(err.to_string().contains("shorter code"));
}

#[test]
fn shortening_can_switch_to_gsm7() {
    let latin = "Beauty and Wellness Center of Lily and Rose on Main Street";
    let name = format!("{latin} Ж");
    let r = renderer()
        .render(&req("en", CodeWithTitle, Some(&name), OTHER))
        .expect("renders");
    assert_eq!(r.encoding, Encoding::Gsm7);
    assert_eq!(r.max_units, 160);
    assert_eq!(r.title_used.as_deref(), Some(latin));
    assert!(r.title_shortened);
    assert_eq!(r.rules_applied, ["title_shortened"]);
}

#[test]
fn smart_encoding_keeps_latin_titles_gsm7() {
    let name = "“Lily’s”\u{A0}Spa — Downtown…";
    let r = renderer()
        .render(&req("en", CodeWithTitle, Some(name), OTHER))
        .expect("renders");
    assert_eq!(
        r.text,
        "Confirmation code for \"Lily's\" Spa - Downtown...: 482193"
    );
    assert_eq!(r.encoding, Encoding::Gsm7);
    assert_eq!(r.rules_applied, ["smart_encoding"]);
    // Switched off per operator: the text stays UCS-2 and untouched.
    let r = renderer()
        .render(&req("en", CodeWithTitle, Some(name), NO_SMART))
        .expect("renders");
    assert_eq!(r.encoding, Encoding::Ucs2);
    assert!(r.text.contains("“Lily’s”"));
    assert!(r.rules_applied.is_empty());
    // Pointless when the template itself is UCS-2: nothing is replaced.
    let r = renderer()
        .render(&req("ru", CodeWithTitle, Some("“Lily’s”"), OTHER))
        .expect("renders");
    assert!(r.text.contains("“Lily’s”"));
    assert!(r.rules_applied.is_empty());
}

#[test]
fn gsm7_only_transliterates_the_title() {
    let r = renderer()
        .render(&req("en", CodeWithTitle, Some("Салон «Ромашка»"), GSM_ONLY))
        .expect("renders");
    assert_eq!(r.text, "Confirmation code for Salon \"Romashka\": 482193");
    assert_eq!(r.encoding, Encoding::Gsm7);
    assert_eq!(r.rules_applied, ["title_transliterated"]);
    assert_eq!(r.title_used.as_deref(), Some("Salon \"Romashka\""));
}

#[test]
fn gsm7_only_refusals_say_why() {
    let err = renderer()
        .render(&req("ru", CodeOnly, None, GSM_ONLY))
        .expect_err("ru template is UCS-2");
    assert!(
        matches!(&err, RenderError::Gsm7Required { operator, reason }
        if operator == "gsm-only" && reason.contains("`ru`"))
    );
    let err = renderer()
        .render(&req("en", CodeWithTitle, Some("Салон"), GSM_REFUSE))
        .expect_err("transliteration off");
    assert!(matches!(&err, RenderError::Gsm7Required { operator, .. } if operator == "gsm-refuse"));
    let mut q = req("en", CodeOnly, None, GSM_ONLY);
    q.code = "ЖЖЖЖ";
    assert!(matches!(
        renderer().render(&q),
        Err(RenderError::Gsm7Required { .. })
    ));
    // Nothing readable survives transliteration: the title is dropped.
    let r = renderer()
        .render(&req("en", CodeWithTitle, Some("\u{E000}"), GSM_ONLY))
        .expect("renders");
    assert_eq!(r.text, "Confirmation code: 482193");
    assert_eq!(
        r.rules_applied,
        ["title_transliterated", "fallback_code_only"]
    );
}

#[test]
fn missing_title_for_a_required_title_operator_is_refused() {
    let mut q = req("en", CodeOnly, Some(" "), MEGAFON);
    q.location_name = "";
    assert_eq!(
        renderer().render(&q),
        Err(RenderError::TitleMissing {
            operator: "ru-megafon".to_owned()
        })
    );
    q.phone_e164 = OTHER;
    q.template = CodeWithTitle;
    let r = renderer().render(&q).expect("falls back");
    assert_eq!(r.text, "Confirmation code: 482193");
    assert_eq!(r.rules_applied, ["fallback_code_only"]);
}

#[test]
fn request_errors() {
    assert_eq!(
        renderer().render(&req("fr", CodeOnly, None, OTHER)),
        Err(RenderError::UnknownLanguage("fr".to_owned()))
    );
    for code in ["", "12\n34", "\u{0}"] {
        let mut q = req("en", CodeOnly, None, OTHER);
        q.code = code;
        assert_eq!(
            renderer().render(&q),
            Err(RenderError::InvalidCode),
            "{code:?}"
        );
    }
}

mod properties;
mod setup;
