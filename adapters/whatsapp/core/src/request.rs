//! The Cloud API's shapes for an authentication template message
//! (`POST /{version}/{phone_number_id}/messages`), its answer, and the Graph API error
//! body, plus the rule that turns a [`SendRequest`] into such a message.

use crate::config::WhatsAppSettings;
use gateway_sdk::{AdapterError, SendRequest};
use serde::{Deserialize, Serialize};

/// Longest code an authentication template accepts.
pub const CODE_MAX_CHARS: usize = 15;

/// A template message, as this adapter sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateMessage {
    /// Always `whatsapp`.
    pub messaging_product: String,
    /// `individual` when present (the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_type: Option<String>,
    /// Recipient phone number, digits with country code.
    pub to: String,
    /// Always `template`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The template and its parameters.
    pub template: Template,
}

/// The `template` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// Approved template name.
    pub name: String,
    /// Template language.
    pub language: Language,
    /// Body and button parameters.
    pub components: Vec<Component>,
}

/// The `language` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Language {
    /// Language code, e.g. `en_US`.
    pub code: String,
    /// Deprecated `deterministic` policy; accepted, never sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
}

/// One template component with its parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Component {
    /// `body` or `button`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `url` for the copy-code / one-tap button.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_type: Option<String>,
    /// Button position, as a string (`"0"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<String>,
    /// The parameters.
    pub parameters: Vec<Parameter>,
}

/// One text parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    /// Always `text` here.
    #[serde(rename = "type")]
    pub kind: String,
    /// The code.
    pub text: String,
}

/// A successful answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendResponse {
    /// `whatsapp`.
    pub messaging_product: String,
    /// The recipient as sent and as resolved.
    #[serde(default)]
    pub contacts: Vec<Contact>,
    /// The accepted message.
    pub messages: Vec<MessageRef>,
}

/// A `contacts[]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// The `to` we sent.
    pub input: String,
    /// The WhatsApp id it resolved to.
    pub wa_id: String,
}

/// A `messages[]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRef {
    /// The message id (`wamid.…`), our provider message id.
    pub id: String,
}

/// A Graph API error answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphErrorBody {
    /// The error.
    pub error: GraphError,
}

/// A Graph API error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphError {
    /// Message, prefixed with `(#code)`.
    pub message: String,
    /// Exception type, e.g. `OAuthException`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The error code applications should branch on.
    pub code: i64,
    /// `{messaging_product, details}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_data: Option<serde_json::Value>,
    /// Deprecated subcode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_subcode: Option<i64>,
    /// Meta's trace id, for support requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fbtrace_id: Option<String>,
}

/// Builds the authentication template message for `req`: the code goes in the body
/// parameter and again in the URL button parameter.
pub fn build(
    req: &SendRequest,
    settings: &WhatsAppSettings,
) -> Result<TemplateMessage, AdapterError> {
    let length = req.code.chars().count();
    if length == 0 || length > CODE_MAX_CHARS {
        return Err(AdapterError::rejected(format!(
            "WhatsApp authentication templates take codes of 1-{CODE_MAX_CHARS} characters, this one has {length}"
        )));
    }
    let text = |code: &str| {
        vec![Parameter {
            kind: "text".into(),
            text: code.to_owned(),
        }]
    };
    Ok(TemplateMessage {
        messaging_product: "whatsapp".into(),
        recipient_type: Some("individual".into()),
        to: req.phone.trim_start_matches('+').to_owned(),
        kind: "template".into(),
        template: Template {
            name: settings.template_name.clone(),
            language: Language {
                code: settings.template_language_for(&req.language).to_owned(),
                policy: None,
            },
            components: vec![
                Component {
                    kind: "body".into(),
                    sub_type: None,
                    index: None,
                    parameters: text(&req.code),
                },
                Component {
                    kind: "button".into(),
                    sub_type: Some("url".into()),
                    index: Some("0".into()),
                    parameters: text(&req.code),
                },
            ],
        },
    })
}
