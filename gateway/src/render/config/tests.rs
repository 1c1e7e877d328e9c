use super::*;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Main {
    render: RenderConfig,
}

#[test]
fn empty_section_gives_defaults() {
    let main: Main = toml::from_str("[render]\n").expect("parse");
    assert_eq!(main.render, RenderConfig::default());
    assert_eq!(main.render.min_title_chars, 3);
    assert!(main.render.languages.is_empty());
    assert!(main.render.operators.is_empty());
}

#[test]
fn full_section_parses() {
    let text = r#"
        [render]
        min_title_chars = 4

        [[render.languages]]
        code = "de"
        code_only = "Bestätigungscode: %CODE%"
        code_with_title = "Bestätigungscode für %SALON_TITLE%: %CODE%"

        [render.default_operator]
        smart_encoding = false
        sender_id = "Booking"

        [[render.operators]]
        id = "ru-megafon"
        prefixes = ["+7920", "+7921"]
        require_title = true
        max_units = 69
        adapters = ["sms-main"]
    "#;
    let main: Main = toml::from_str(text).expect("parse");
    let r = main.render;
    assert_eq!(r.min_title_chars, 4);
    assert_eq!(r.languages[0].code, "de");
    assert_eq!(r.default_operator.smart_encoding, Some(false));
    assert_eq!(r.default_operator.sender_id.as_deref(), Some("Booking"));
    let op = &r.operators[0];
    assert_eq!(op.id, "ru-megafon");
    assert_eq!(op.prefixes, ["+7920", "+7921"]);
    let rules = op.rules();
    assert_eq!(rules.require_title, Some(true));
    assert_eq!(rules.max_units, Some(69));
    assert_eq!(rules.adapters, Some(vec!["sms-main".to_owned()]));
    assert_eq!(rules.gsm7_only, None);
}

#[test]
fn unknown_fields_are_refused() {
    for text in [
        "[render]\nmin_title = 3\n",
        "[render.default_operator]\nrequire_titel = true\n",
        "[[render.operators]]\nid = \"x\"\nprefixes = [\"+1\"]\nmax_unit = 3\n",
        "[[render.languages]]\ncode = \"de\"\ncode_only = \"%CODE%\"\ncode_with_title = \"%SALON_TITLE% %CODE%\"\nextra = 1\n",
    ] {
        assert!(toml::from_str::<Main>(text).is_err(), "{text}");
    }
}

#[test]
fn the_example_file_parses() {
    let text = include_str!("../../../../examples/operators.toml");
    let main: Main = toml::from_str(text).expect("examples/operators.toml parses");
    assert!(main.render.operators.iter().any(|o| o.id == "ru-megafon"));
}
