//! Completes the generated document with what every operation shares, so that each
//! handler's annotation only lists what is particular to it: the one `Problem` schema
//! (RFC 9457, its `code` an enum of every error code), a problem+json body on every
//! error response (narrowed to the codes of that status), `Retry-After` on `429`, `502`,
//! `503` and `504`, and the statuses that come from the transport rather than the handler: `401`
//! on API-key operations, `400`/`413`/`415` on operations with a JSON body.
//!
//! It works on the JSON form of the document: the additions are plain OpenAPI, written
//! as the JSON a reader sees.

use crate::error::ErrorCode;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Statuses the transport answers on any operation with a JSON request body: an
/// unreadable body, one over `server.max_body_bytes`, or one that is not JSON.
const BODY_STATUSES: [u16; 3] = [400, 413, 415];

/// Adds the shared parts to `doc` (the document as JSON) for `codes` (every code the
/// gateway answers with: [`ErrorCode::ALL`]; schemathesis checks every problem body of
/// the suite's run against this enum).
pub fn complete(doc: &mut Value, codes: &[ErrorCode]) {
    let mut by_status: BTreeMap<u16, Vec<&str>> = BTreeMap::new();
    for c in codes {
        by_status
            .entry(c.status().as_u16())
            .or_default()
            .push(c.as_str());
    }
    let all: Vec<&str> = codes.iter().map(|c| c.as_str()).collect();
    doc["components"]["schemas"]["Problem"] = problem_schema(&all);
    doc["components"]["headers"]["Retry-After"] = json!({
        "description": "Seconds after which the same request may succeed.",
        "schema": { "type": "integer", "minimum": 0 }
    });
    let paths = object(doc, "paths");
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            if !is_method(method) {
                continue;
            }
            complete_operation(op, &by_status);
        }
    }
}

fn complete_operation(op: &mut Value, by_status: &BTreeMap<u16, Vec<&str>>) {
    let secured = op
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|s| {
            s.iter()
                .any(|r| r.as_object().is_some_and(|r| !r.is_empty()))
        });
    let has_body = op.get("requestBody").is_some();
    let responses = object(op, "responses");
    let mut add = |status: u16, description: &str| {
        responses
            .entry(status.to_string())
            .or_insert_with(|| json!({ "description": description }));
    };
    if secured {
        add(401, "`unauthorized`: missing or wrong API key.");
    }
    if has_body {
        for status in BODY_STATUSES {
            add(status, transport_description(status));
        }
    }
    for (status, response) in responses.iter_mut() {
        let Ok(status) = status.parse::<u16>() else {
            continue;
        };
        if status < 400 {
            continue;
        }
        let codes = by_status.get(&status).cloned().unwrap_or_default();
        let response = response.as_object_mut().expect("a response is an object");
        response.insert(
            "content".into(),
            json!({ "application/problem+json": { "schema": problem_of(status, &codes) } }),
        );
        if matches!(status, 429 | 502 | 503 | 504) {
            response.insert(
                "headers".into(),
                json!({ "Retry-After": { "$ref": "#/components/headers/Retry-After" } }),
            );
        }
    }
}

fn transport_description(status: u16) -> &'static str {
    match status {
        400 => "`invalid_json` or `bad_request`: the body could not be read.",
        413 => "`payload_too_large`: the body is over `server.max_body_bytes`.",
        415 => "`unsupported_media_type`: send `Content-Type: application/json`.",
        _ => "Error.",
    }
}

/// The `Problem` schema, narrowed to `status` and its codes.
fn problem_of(status: u16, codes: &[&str]) -> Value {
    let mut narrowed = json!({ "properties": { "status": { "const": status } } });
    if !codes.is_empty() {
        narrowed["properties"]["code"] = json!({ "enum": codes });
    }
    json!({ "allOf": [ { "$ref": "#/components/schemas/Problem" }, narrowed ] })
}

fn problem_schema(codes: &[&str]) -> Value {
    json!({
        "type": "object",
        "description": "RFC 9457 problem details. `code` is stable: branch on it. Extra members carry specifics.",
        "required": ["type", "title", "status", "detail", "code"],
        "properties": {
            "type": { "type": "string", "format": "uri", "description": "Documentation URI of this kind of problem." },
            "title": { "type": "string" },
            "status": { "type": "integer", "minimum": 400, "maximum": 599 },
            "detail": { "type": "string", "description": "What happened and what to do about it." },
            "code": { "type": "string", "enum": codes },
            "field": { "type": "string", "description": "The request field at fault." },
            "retry_after": { "type": "integer", "minimum": 0, "description": "Seconds; also in the `Retry-After` header." },
            "attempts_left": { "type": "integer", "minimum": 0 }
        },
        "additionalProperties": true,
        "example": {
            "type": "https://docs.confirmation-gateway.dev/problems/resend_cooldown",
            "title": "Too many requests",
            "status": 429,
            "detail": "A code was sent to this phone less than 60 s ago; retry after 42 s.",
            "code": "resend_cooldown",
            "retry_after": 42
        }
    })
}

pub(super) fn is_method(key: &str) -> bool {
    matches!(
        key,
        "get" | "put" | "post" | "delete" | "options" | "head" | "patch" | "trace"
    )
}

/// The object at `key` of `value`, created empty when missing.
fn object<'a>(value: &'a mut Value, key: &str) -> &'a mut Map<String, Value> {
    value
        .as_object_mut()
        .expect("an object")
        .entry(key)
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .expect("an object")
}
