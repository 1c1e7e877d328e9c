//! Language and operator configuration as seen through the renderer, and what a
//! rendered message looks like when serialised.

use super::*;

#[test]
fn languages_are_listed_and_configurable() {
    let r = renderer();
    assert_eq!(r.languages().collect::<Vec<_>>(), ["de", "en", "ru"]);
    assert!(r.has_language("DE"));
    assert!(!r.has_language("fr"));
    // A configured language replaces a built-in one.
    let mut cfg = RenderConfig::default();
    cfg.languages.push(LanguageConfig {
        code: "en".into(),
        code_only: "Your code: %CODE%".into(),
        code_with_title: "%SALON_TITLE% code: %CODE%".into(),
    });
    let r = Renderer::new(&cfg).expect("valid");
    assert_eq!(r.languages().collect::<Vec<_>>(), ["en", "ru"]);
    let out = r
        .render(&req("en", CodeOnly, None, OTHER))
        .expect("renders");
    assert_eq!(out.text, "Your code: 482193");
}

#[test]
fn configuration_errors_name_language_and_template() {
    let lang = |code: &str, only: &str, title: &str| LanguageConfig {
        code: code.into(),
        code_only: only.into(),
        code_with_title: title.into(),
    };
    let with = |langs: Vec<LanguageConfig>| {
        Renderer::new(&RenderConfig {
            languages: langs,
            ..RenderConfig::default()
        })
        .expect_err("refused")
    };
    let err = with(vec![lang("de", "Code", "%SALON_TITLE%: %CODE%")]);
    assert!(
        matches!(&err, RenderConfigError::Template { language, template: CodeOnly, .. } if language == "de")
    );
    let msg = err.to_string();
    assert!(
        msg.contains("`de`") && msg.contains("code_only") && msg.contains("%CODE%"),
        "{msg}"
    );
    let err = with(vec![lang("de", "%CODE%", "Code %CODE%")]);
    assert!(matches!(
        &err,
        RenderConfigError::Template {
            template: CodeWithTitle,
            ..
        }
    ));
    assert!(err.to_string().contains("%SALON_TITLE%"));
    assert_eq!(
        with(vec![
            lang("de", "%CODE%", "%SALON_TITLE% %CODE%"),
            lang("DE", "%CODE%", "%SALON_TITLE% %CODE%")
        ]),
        RenderConfigError::DuplicateLanguage("DE".into())
    );
    assert_eq!(
        with(vec![lang("d e", "%CODE%", "%SALON_TITLE% %CODE%")]),
        RenderConfigError::InvalidLanguageCode("d e".into())
    );
    let err = Renderer::new(&RenderConfig {
        min_title_chars: 0,
        ..RenderConfig::default()
    })
    .expect_err("refused");
    assert_eq!(err, RenderConfigError::MinTitleChars);
}

#[test]
fn example_operators_file_builds_and_matches() {
    #[derive(serde::Deserialize)]
    struct Main {
        render: RenderConfig,
    }
    let main: Main =
        toml::from_str(include_str!("../../../../../examples/operators.toml")).expect("parses");
    let r = Renderer::new(&main.render).expect("example config is valid");
    let cases = [
        ("+79101234567", "ru-mts"),
        ("+79201234567", "ru-megafon"),
        ("+79031234567", "ru-beeline"),
        ("+79001234567", "ru-tele2"),
        ("+447911123456", "gb-mobile"),
        ("+12025550143", "us-nanp"),
        ("+8821234567", "intl-networks"),
        ("+4930123456", "default"),
    ];
    for (phone, id) in cases {
        assert_eq!(r.operator_for(phone).id, id, "{phone}");
    }
    assert!(r.operator_for("+8821234567").blocked);
    let megafon = r.operator_for("+79201234567");
    assert!(megafon.require_title);
    assert_eq!(megafon.max_units, Some(69));
}

#[test]
fn rendered_serializes_without_the_plain_text() {
    let r = renderer()
        .render(&req("en", CodeOnly, None, OTHER))
        .expect("renders");
    let json = serde_json::to_value(&r).expect("serialize");
    assert!(json.get("text").is_none());
    assert_eq!(json["masked_text"], "Confirmation code: ******");
    assert_eq!(json["encoding"], "GSM-7");
    assert_eq!(json["template"], "code_only");
    assert!(!json.to_string().contains("482193"));
}

#[test]
fn debug_output_never_shows_the_code_or_full_phone() {
    let q = req("en", CodeOnly, None, OTHER);
    let r = renderer().render(&q).expect("renders");
    for text in [format!("{q:?}"), format!("{r:?}")] {
        assert!(!text.contains("482193"), "{text}");
        assert!(!text.contains("2025550143"), "{text}");
    }
    assert!(format!("{r:?}").contains("Confirmation code: ******"));
}
