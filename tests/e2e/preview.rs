//! `POST /v1/messages/preview` through the real process: segment counting at every
//! carrier boundary, title fallback, operator rules and single-segment shortening.

use e2e::{Gateway, config};
use serde_json::{Value, json};

fn preview(gw: &Gateway, body: Value) -> Value {
    let r = gw.post("/v1/messages/preview", &body);
    assert_eq!(r.status, 200, "{body}: {}", r.text);
    r.json
}

fn raw(gw: &Gateway, text: &str) -> (String, u64, u64) {
    let v = preview(gw, json!({ "text": text }));
    (
        v["encoding"].as_str().unwrap().to_owned(),
        v["segments"].as_u64().unwrap(),
        v["units"].as_u64().unwrap(),
    )
}

#[test]
fn raw_text_segments_at_every_boundary() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &config(""));
    let a = |n: usize| "a".repeat(n);
    let zh = |n: usize| "ж".repeat(n);
    let cases: Vec<(String, &str, u64, u64)> = vec![
        (a(159), "GSM-7", 1, 159),
        (a(160), "GSM-7", 1, 160),
        (a(161), "GSM-7", 2, 161),
        (a(306), "GSM-7", 2, 306),
        (a(307), "GSM-7", 3, 307),
        // Extension characters take two septets, and never straddle a part boundary.
        (format!("{}€", a(158)), "GSM-7", 1, 160),
        (format!("{}€", a(159)), "GSM-7", 2, 161),
        (format!("{}€{}", a(152), a(10)), "GSM-7", 2, 164),
        // 306 septets fit two parts, but not when an escape pair would straddle them.
        (format!("{}€{}", a(152), a(152)), "GSM-7", 3, 306),
        (format!("{}{{}}", a(0)), "GSM-7", 1, 4),
        (zh(69), "UCS-2", 1, 69),
        (zh(70), "UCS-2", 1, 70),
        (zh(71), "UCS-2", 2, 71),
        (zh(134), "UCS-2", 2, 134),
        (zh(135), "UCS-2", 3, 135),
        // An emoji is a surrogate pair: two units, never split.
        (format!("{}😀", zh(68)), "UCS-2", 1, 70),
        (format!("{}😀", zh(69)), "UCS-2", 2, 71),
        (format!("{}😀{}", zh(66), zh(10)), "UCS-2", 2, 78),
        (format!("{}😀{}", zh(66), zh(66)), "UCS-2", 3, 134),
        // One non-GSM character forces UCS-2 for the whole text.
        (format!("{}ж", a(69)), "UCS-2", 1, 70),
    ];
    for (text, enc, segments, units) in cases {
        assert_eq!(
            raw(&gw, &text),
            (enc.to_owned(), segments, units),
            "text of {} chars",
            text.chars().count()
        );
    }
    let v = preview(&gw, json!({ "text": "Code ж 1234" }));
    assert_eq!(v["ucs2_chars"], json!(["ж"]));
    assert_eq!(v["fits_single_segment"], true);
}

#[test]
fn templates_titles_and_operator_rules() {
    let dir = tempfile::tempdir().unwrap();
    let rules = r#"
[[render.operators]]
id = "ru-megafon"
prefixes = ["+7920", "+7921"]
require_title = true
max_units = 69
"#;
    let gw = Gateway::start(dir.path(), &config(rules));
    // Empty company name: the location name is the title.
    let v = preview(
        &gw,
        json!({ "company_name": "", "location_name": "Studio 7", "template": "code_with_title", "code": "4821" }),
    );
    assert_eq!(v["text"], "Confirmation code for Studio 7: ****");
    assert!(
        v["rules_applied"]
            .as_array()
            .unwrap()
            .contains(&json!("location_name_as_title")),
        "{v}"
    );

    // The operator requires the title: code_only becomes the title template.
    let v = preview(
        &gw,
        json!({ "company_name": "Beauty Lab", "location_name": "X", "template": "code_only", "code": "4821", "phone": "+79201234567" }),
    );
    assert_eq!(v["text"], "Confirmation code for Beauty Lab: ****");
    assert_eq!(v["operator"], "ru-megafon");
    assert!(
        v["rules_applied"]
            .as_array()
            .unwrap()
            .contains(&json!("title_required_by_operator")),
        "{v}"
    );
    // Elsewhere code_only stays code_only.
    let v = preview(
        &gw,
        json!({ "company_name": "Beauty Lab", "location_name": "X", "template": "code_only", "code": "4821", "phone": "+79991234567" }),
    );
    assert_eq!(v["text"], "Confirmation code: ****");

    // A 90-character Cyrillic company name under the 69-unit rule is shortened to fit.
    let long = "Салон красоты и здоровья Ромашка на Тверской улице в самом центре Москвы, метро Пушкинская";
    assert_eq!(long.chars().count(), 90);
    let v = preview(
        &gw,
        json!({ "company_name": long, "location_name": "X", "template": "code_with_title", "language": "ru", "code": "482193", "phone": "+79201234567" }),
    );
    assert_eq!(v["title_shortened"], true, "{v}");
    assert_eq!(v["encoding"], "UCS-2");
    assert_eq!(v["segments"], 1);
    assert_eq!(v["max_units"], 69);
    assert!(v["units"].as_u64().unwrap() <= 69, "{v}");
    assert_eq!(v["fits_single_segment"], true);
    assert!(
        v["text"]
            .as_str()
            .unwrap()
            .starts_with("Код подтверждения для Салон"),
        "{v}"
    );
    assert!(v["text"].as_str().unwrap().ends_with(": ******"), "{v}");

    // A stored location previews the same way.
    gw.put(
        "/v1/locations/42",
        &json!({ "company_name": long, "location_name": "X", "country": "RU", "language": "ru",
        "phone_confirmation": { "template": "code_with_title" } }),
    );
    let v = preview(
        &gw,
        json!({ "location_id": "42", "phone": "8 920 123-45-67" }),
    );
    assert_eq!(v["title_shortened"], true, "{v}");
    assert_eq!(v["operator"], "ru-megafon");

    // Bad input.
    gw.post(
        "/v1/messages/preview",
        &json!({ "location_name": "X", "template": "Your code %CODE%" }),
    )
    .problem(422, "custom_template_not_available");
    gw.post("/v1/messages/preview", &json!({}))
        .problem(422, "validation_failed");
    gw.post("/v1/messages/preview", &json!({ "location_id": "nope" }))
        .problem(404, "location_not_found");
    gw.post(
        "/v1/messages/preview",
        &json!({ "location_name": "X", "phone": "123" }),
    )
    .problem(400, "invalid_phone");
}
