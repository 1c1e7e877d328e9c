//! Input rules JSON Schema can state (patterns on ids and headers), added to the
//! request schemas and parameters of the served document.

use serde_json::{Value, json};

/// A location id: what `check_location_id` accepts.
const LOCATION_ID: &str = "^[A-Za-z0-9._-]{1,64}$";

/// Input rules JSON Schema can state, added to the request schemas and parameters so
/// that generated clients and schemathesis know them. What it cannot state (a phone
/// valid in its numbering plan, a text that fits one SMS, which preview form applies)
/// is answered with `400`/`422` and documented on each operation.
pub fn constrain(doc: &mut Value) {
    let schemas = &mut doc["components"]["schemas"];
    for name in [
        "MessageInput",
        "StartInput",
        "CheckBySubjectInput",
        "PreviewInput",
        "NewConnection",
    ] {
        if schemas[name]["properties"].get("location_id").is_some() {
            set_pattern(&mut schemas[name]["properties"]["location_id"], LOCATION_ID);
        }
    }
    set_pattern(
        &mut schemas["MessageInput"]["properties"]["code"],
        "^[A-Za-z0-9]{4,10}$",
    );
    for name in ["CheckInput", "CheckBySubjectInput"] {
        set_pattern(&mut schemas[name]["properties"]["code"], "^[0-9]{4,10}$");
    }
    set_pattern(
        &mut schemas["LocationInput"]["properties"]["location_name"],
        "\\S",
    );
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for op in item.values_mut() {
            let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) else {
                continue;
            };
            for p in params {
                match p["name"].as_str() {
                    Some("location_id") => set_pattern(&mut p["schema"], LOCATION_ID),
                    Some("Idempotency-Key") => set_pattern(&mut p["schema"], "^[!-~]{1,255}$"),
                    _ => {}
                }
            }
        }
    }
}

/// Adds `pattern` to a string schema, also inside a `["string", "null"]` type.
fn set_pattern(schema: &mut Value, pattern: &str) {
    if schema.is_object() {
        schema["pattern"] = json!(pattern);
    }
}
