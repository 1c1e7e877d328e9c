//! Request examples: one realistic body for every operation that takes one, set on its
//! `application/json` media type. Client generators and the `/docs` rendering show them,
//! and schemathesis sends them to the real process first. A unit test parses each into
//! the handler's own input type, so an example the handler would refuse cannot ship.

use serde_json::{Value, json};

/// `(method, path, example body)` for every operation with a JSON request body.
pub fn all() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        (
            "put",
            "/v1/locations/{location_id}",
            json!({
                "company_name": "Beauty Lab",
                "location_name": "Beauty Lab on Tverskaya",
                "country": "RU",
                "language": "ru",
                "phone_confirmation": { "enabled": true },
                "online_booking": { "require_phone_confirmation": true },
                "channels": ["mock"]
            }),
        ),
        (
            "post",
            "/v1/messages",
            json!({ "location_id": "beauty-lab-1", "phone": "+79991234567", "code": "4821", "purpose": "login" }),
        ),
        (
            "post",
            "/v1/messages/preview",
            json!({ "location_id": "beauty-lab-1", "phone": "+79991234567", "code": "4821" }),
        ),
        (
            "post",
            "/v1/verifications",
            json!({ "location_id": "beauty-lab-1", "phone": "+79991234567", "purpose": "login", "client_ip": "203.0.113.7" }),
        ),
        (
            "post",
            "/v1/verifications/{id}/check",
            json!({ "code": "482193" }),
        ),
        (
            "post",
            "/v1/verifications/check",
            json!({ "location_id": "beauty-lab-1", "phone": "+79991234567", "purpose": "login", "code": "482193" }),
        ),
        (
            "post",
            "/v1/tokens/introspect",
            json!({ "token": "vt_v1.eyJ2aWQiOiJ2ZXJfMDFqIn0.c2lnbmF0dXJl", "consume": true, "purpose": "login", "location_id": "beauty-lab-1" }),
        ),
        (
            "post",
            "/v1/connections",
            json!({ "kind": "mock", "name": "Beauty Lab SMS", "location_id": "beauty-lab-1", "settings": { "channel": "sms" } }),
        ),
        (
            "patch",
            "/v1/connections/{id}",
            json!({ "name": "Beauty Lab SMS (backup)", "settings": { "latency": null } }),
        ),
    ]
}

/// Sets each example on its operation's JSON request body, and a UUID example on the
/// `Idempotency-Key` header (its rule is in `constraints`).
pub fn apply(doc: &mut Value) {
    for (method, path, example) in all() {
        let op = &mut doc["paths"][path][method];
        let media = &mut op["requestBody"]["content"]["application/json"];
        if media.is_object() {
            media["example"] = example;
        }
        let params = op.get_mut("parameters").and_then(Value::as_array_mut);
        for param in params.into_iter().flatten() {
            if param["name"] == "Idempotency-Key" {
                param["example"] = json!("5f0c8b2e-4d7a-4f8e-9a61-3b2c1d0e9f47");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::DeserializeOwned;

    fn parses<T: DeserializeOwned>(v: &Value) -> bool {
        serde_json::from_value::<T>(v.clone()).is_ok()
    }

    #[test]
    fn every_request_body_has_an_example_its_handler_accepts() {
        use crate::api::{messages, preview, verifications as v};
        let doc = crate::api::openapi::document();
        let mut with_body = 0;
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().expect("path item") {
                if op.get("requestBody").is_none() {
                    continue;
                }
                with_body += 1;
                let media = &op["requestBody"]["content"]["application/json"];
                let example = &media["example"];
                assert!(example.is_object(), "{method} {path} has no example");
                // Every member is a property of the schema it is documented under.
                let name = media["schema"]["$ref"]
                    .as_str()
                    .and_then(|r| r.rsplit('/').next())
                    .expect("a component schema");
                let schema = &doc["components"]["schemas"][name];
                for key in example.as_object().expect("object").keys() {
                    assert!(
                        schema["properties"].get(key).is_some(),
                        "{name} has no `{key}`"
                    );
                }
                for required in schema["required"].as_array().into_iter().flatten() {
                    let required = required.as_str().expect("name");
                    assert!(
                        example.get(required).is_some(),
                        "{name}: `{required}` missing"
                    );
                }
                let accepted = match name {
                    "LocationInput" => parses::<crate::locations::LocationInput>(example),
                    "MessageInput" => parses::<messages::MessageInput>(example),
                    "PreviewInput" => parses::<preview::PreviewInput>(example),
                    "StartInput" => parses::<v::StartInput>(example),
                    "CheckInput" => parses::<v::CheckInput>(example),
                    "CheckBySubjectInput" => parses::<v::CheckBySubjectInput>(example),
                    "IntrospectInput" => parses::<v::IntrospectInput>(example),
                    "NewConnection" => parses::<crate::connections::NewConnection>(example),
                    "ConnectionPatch" => parses::<crate::connections::ConnectionPatch>(example),
                    other => panic!("no example check for {other}: add it here"),
                };
                assert!(accepted, "{method} {path}: the handler refuses its example");
                // The patterns the document adds (`constraints::constrain`).
                for (key, value) in example.as_object().expect("object") {
                    let Some(pattern) = schema["properties"][key]["pattern"].as_str() else {
                        continue;
                    };
                    let re = regex_lite(pattern);
                    assert!(
                        re(value.as_str().expect("a string")),
                        "{name}.{key} = {value} breaks {pattern}"
                    );
                }
            }
        }
        assert_eq!(
            with_body,
            all().len(),
            "an example names no operation with a body"
        );
    }

    /// The three pattern shapes `constraints::constrain` writes, checked by hand (no
    /// regex engine in the gateway's dependencies for one test).
    fn regex_lite(pattern: &str) -> impl Fn(&str) -> bool + '_ {
        move |s: &str| match pattern {
            "\\S" => s.chars().any(|c| !c.is_whitespace()),
            "^[A-Za-z0-9]{4,10}$" => {
                (4..=10).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
            }
            "^[0-9]{4,10}$" => (4..=10).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()),
            "^[A-Za-z0-9._-]{1,64}$" => {
                (1..=64).contains(&s.len())
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
            }
            other => panic!("pattern {other} not known to this test"),
        }
    }
}
