use super::*;

fn compile(kind: TemplateKind, text: &str) -> Result<Template, String> {
    Template::compile(kind, text)
}

#[test]
fn fills_in_one_pass() {
    let t = compile(
        TemplateKind::CodeWithTitle,
        "Confirmation code for %SALON_TITLE%: %CODE%",
    )
    .expect("valid");
    assert_eq!(t.fill("1234", "Lily"), "Confirmation code for Lily: 1234");
    // A title containing a placeholder is printed literally, never substituted.
    assert_eq!(
        t.fill("1234", "50%CODE% off %SALON_TITLE%"),
        "Confirmation code for 50%CODE% off %SALON_TITLE%: 1234"
    );
    assert_eq!(
        t.fill_masked("1234", "Lily"),
        "Confirmation code for Lily: ****"
    );
    assert_eq!(t.literal_text(), "Confirmation code for : ");
}

#[test]
fn masked_code_has_one_star_per_character() {
    let t = compile(TemplateKind::CodeOnly, "Confirmation code: %CODE%").expect("valid");
    assert_eq!(t.fill_masked("482193", ""), "Confirmation code: ******");
    assert_eq!(t.fill_masked("АБ", ""), "Confirmation code: **");
}

#[test]
fn a_lone_percent_sign_is_literal() {
    let t = compile(TemplateKind::CodeOnly, "100% code: %CODE% %").expect("valid");
    assert_eq!(t.fill("7", ""), "100% code: 7 %");
    let t = compile(TemplateKind::CodeOnly, "%%CODE%%").expect("valid");
    assert_eq!(t.fill("7", ""), "%7%");
}

#[test]
fn invalid_templates_say_why() {
    use TemplateKind::*;
    let cases = [
        (CodeOnly, "Code:", "%CODE% is missing"),
        (CodeOnly, "%CODE% %CODE%", "%CODE% must appear once"),
        (
            CodeOnly,
            "%SALON_TITLE%: %CODE%",
            "%SALON_TITLE% is not allowed",
        ),
        (CodeWithTitle, "Code: %CODE%", "%SALON_TITLE% is missing"),
        (
            CodeWithTitle,
            "%SALON_TITLE% %SALON_TITLE% %CODE%",
            "%SALON_TITLE% must appear once",
        ),
        (
            CodeOnly,
            "Code for %SALON%: %CODE%",
            "unknown placeholder %SALON%",
        ),
        (CodeWithTitle, "", "%CODE% is missing"),
    ];
    for (kind, text, expected) in cases {
        let err = compile(kind, text).expect_err(text);
        assert!(err.contains(expected), "{text}: {err}");
    }
}

#[test]
fn template_kind_names() {
    assert_eq!(TemplateKind::CodeOnly.to_string(), "code_only");
    assert_eq!(
        serde_json::to_string(&TemplateKind::CodeWithTitle).expect("serialize"),
        "\"code_with_title\""
    );
    let k: TemplateKind = serde_json::from_str("\"code_only\"").expect("deserialize");
    assert_eq!(k, TemplateKind::CodeOnly);
    assert!(serde_json::from_str::<TemplateKind>("\"custom\"").is_err());
}
