//! The Cloud API's template message and Graph error as the fake reads and writes them,
//! written from Meta's documentation (not shared with the adapter).

use serde::Deserialize;
use serde_json::json;

/// Graph API version the fake serves by default.
pub(super) const DEFAULT_API_VERSION: &str = "v23.0";
/// Longest code an authentication template accepts.
pub(super) const CODE_MAX_CHARS: usize = 15;

/// A template message (`POST /{version}/{phone_number_id}/messages`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TemplateMessage {
    pub(super) messaging_product: String,
    #[serde(default)]
    pub(super) recipient_type: Option<String>,
    pub(super) to: String,
    #[serde(rename = "type")]
    pub(super) kind: String,
    pub(super) template: Template,
}

/// The `template` object.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Template {
    pub(super) name: String,
    pub(super) language: Language,
    pub(super) components: Vec<Component>,
}

/// The `language` object (`policy` is deprecated but accepted).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Language {
    pub(super) code: String,
    #[serde(default)]
    #[allow(dead_code)]
    pub(super) policy: Option<String>,
}

/// One component and its parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Component {
    #[serde(rename = "type")]
    pub(super) kind: String,
    #[serde(default)]
    pub(super) sub_type: Option<String>,
    #[serde(default)]
    pub(super) index: Option<String>,
    pub(super) parameters: Vec<Parameter>,
}

/// One parameter.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Parameter {
    #[serde(rename = "type")]
    pub(super) kind: String,
    pub(super) text: String,
}

/// A Graph API error body, as Meta answers it.
pub(super) fn graph_error(code: i64, message: &str) -> String {
    json!({ "error": {
        "message": format!("(#{code}) {message}"),
        // Meta uses OAuthException for most Cloud API errors, auth or not.
        "type": "OAuthException",
        "code": code,
        "error_data": { "messaging_product": "whatsapp", "details": message },
        "fbtrace_id": "AFakeTraceId",
    }})
    .to_string()
}
