//! A connection as stored, what callers send to make or change one, and the rule that
//! decides which settings are secret.
//!
//! Adapter libraries do not declare which of their settings are secret (the ABI carries
//! settings as plain JSON), so the gateway decides by name, with the same rule that
//! redacts `gateway check-config`: a top-level setting is secret when its name contains
//! `token`, `secret`, `password`, `key`, `auth` or `credential` (case-insensitive), or
//! when its value holds such a name at any depth. Secret settings are sealed in the
//! record and never shown; the rest are stored and returned as given.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Name fragments that make a setting secret.
const SECRET_HINTS: &[&str] = &["token", "secret", "password", "key", "auth", "credential"];

/// Longest accepted connection name, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// Whether a setting called `name` is secret by its name alone.
pub fn is_secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SECRET_HINTS.iter().any(|h| lower.contains(h))
}

/// Whether the setting `name` = `value` is secret (see the module docs).
pub fn is_secret_setting(name: &str, value: &Value) -> bool {
    fn holds_secret_name(v: &Value) -> bool {
        match v {
            Value::Object(m) => m
                .iter()
                .any(|(k, v)| is_secret_name(k) || holds_secret_name(v)),
            Value::Array(items) => items.iter().any(holds_secret_name),
            _ => false,
        }
    }
    is_secret_name(name) || holds_secret_name(value)
}

/// A provider connection as stored (`Ns::Connection`, by id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    /// `conn_` + ULID; also the instance name adapters see and the callback path segment.
    pub id: String,
    /// The adapter kind (`twilio`).
    pub kind: String,
    /// A name for people (`Beauty Lab SMS`).
    pub name: String,
    /// The location it belongs to; `None`: any location may use it.
    pub location_id: Option<String>,
    /// The settings that are not secret, as given.
    pub settings: Map<String, Value>,
    /// The secret settings as one sealed JSON object (see `crate::vault`), bound to the id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed: Option<String>,
    /// Names of the secret settings that are set (sorted), for readers.
    #[serde(default)]
    pub secret_keys: Vec<String>,
    /// Bumped by every change, so live instances everywhere notice it.
    pub version: u64,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl Connection {
    /// What the adapter's instance is labelled in metrics: bounded by the number of
    /// kinds, never a connection id.
    pub fn metric_label(&self) -> String {
        metric_label(&self.kind)
    }
}

/// The metric label of connections of `kind`.
pub fn metric_label(kind: &str) -> String {
    format!("connection:{kind}")
}

/// What `POST /v1/connections` takes.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConnection {
    /// An adapter kind the gateway has loaded (`GET /v1/adapters` lists them).
    pub kind: String,
    /// A name for people.
    pub name: String,
    /// The location it belongs to; omitted: any location may use it.
    #[serde(default)]
    pub location_id: Option<String>,
    /// The adapter's settings (its documentation lists them); secret ones are
    /// write-only.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub settings: Value,
}

/// What `PATCH /v1/connections/{id}` takes. `settings` is merged key by key: a key
/// given replaces the stored value, `null` removes it, a key not given is kept.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionPatch {
    /// A new name.
    #[serde(default)]
    pub name: Option<String>,
    /// Settings to change (`null` removes one).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub settings: Option<Value>,
}

/// Checks a connection name; the message says what is allowed.
pub fn check_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("`name` is required and must not be blank.".into());
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!(
            "`name` must be at most {MAX_NAME_CHARS} characters."
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("`name` must not contain control characters.".into());
    }
    Ok(name.to_owned())
}

/// Checks a settings value is an object of literal values. `{ "env": "VAR" }`
/// references are refused: they would let an API caller read the gateway's environment.
pub fn check_settings(settings: &Value) -> Result<&Map<String, Value>, (String, String)> {
    fn find_env_ref(path: &str, v: &Value) -> Option<String> {
        match v {
            Value::Object(m) if m.len() == 1 && m.contains_key("env") => Some(path.to_owned()),
            Value::Object(m) => m
                .iter()
                .find_map(|(k, v)| find_env_ref(&format!("{path}.{k}"), v)),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, v)| find_env_ref(&format!("{path}[{i}]"), v)),
            _ => None,
        }
    }
    let Value::Object(map) = settings else {
        return Err((
            "settings".into(),
            "`settings` must be an object of the adapter's settings.".into(),
        ));
    };
    if let Some(path) = find_env_ref("settings", settings) {
        return Err((
            path.clone(),
            format!(
                "`{path}` is an environment reference; connections take the value itself (it is stored encrypted)."
            ),
        ));
    }
    Ok(map)
}

/// Splits settings into the ones kept in clear and the secret ones.
pub fn split(settings: Map<String, Value>) -> (Map<String, Value>, Map<String, Value>) {
    settings
        .into_iter()
        .partition(|(k, v)| !is_secret_setting(k, v))
}

/// Applies a merge patch to settings: a `null` removes the key, anything else replaces it.
pub fn merge(mut settings: Map<String, Value>, patch: &Map<String, Value>) -> Map<String, Value> {
    for (k, v) in patch {
        if v.is_null() {
            settings.remove(k);
        } else {
            settings.insert(k.clone(), v.clone());
        }
    }
    settings
}

/// The setting an adapter's error names: the first `` `key` `` in its message.
pub fn named_setting(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(&message[start..start + len]).filter(|k| !k.is_empty())
}
