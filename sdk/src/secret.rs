//! A secret value (token, password, signing key) that never prints.

use serde::{Deserialize, Deserializer};
use std::fmt;

/// Holds a secret. `Debug` and `Display` print `***`; read it with [`Secret::expose`].
///
/// Deserializes from a plain string, or from `{ "env": "VAR_NAME" }`, which reads the
/// value from that environment variable when the configuration is loaded, so secrets
/// need not be written into configuration files.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself. Never log or return what this gives you.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Plain(String),
            Env { env: String },
        }
        match Repr::deserialize(d)? {
            Repr::Plain(s) => Ok(Secret(s)),
            Repr::Env { env } => std::env::var(&env).map(Secret).map_err(|_| {
                serde::de::Error::custom(format!(
                    "secret refers to environment variable `{env}`, which is not set"
                ))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_the_value() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn deserializes_plain_and_reports_missing_env() {
        let s: Secret = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(s.expose(), "abc");
        let err = serde_json::from_str::<Secret>(r#"{"env":"GATEWAY_SDK_TEST_SURELY_UNSET_VAR"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("GATEWAY_SDK_TEST_SURELY_UNSET_VAR"), "{err}");
    }
}
