//! Settings of one WhatsApp Cloud API instance: the `settings` table of an
//! `[[adapters]]` block in the gateway config, validated once when it is created.

use gateway_sdk::{AdapterError, Secret};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Where the real Graph API lives.
pub const DEFAULT_BASE_URL: &str = "https://graph.facebook.com";
/// The Graph API version used unless configured.
pub const DEFAULT_API_VERSION: &str = "v23.0";

/// Settings of a WhatsApp Cloud API instance.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhatsAppSettings {
    /// A (system user) access token with the `whatsapp_business_messaging` permission,
    /// sent as `Authorization: Bearer …`. Write `{ env = "WHATSAPP_ACCESS_TOKEN" }`.
    pub access_token: Secret,
    /// The Meta app secret: the key of the `X-Hub-Signature-256` webhook signature.
    pub app_secret: Secret,
    /// The verify token you typed into the app's webhook settings; the `GET`
    /// subscription handshake must present it.
    pub verify_token: Secret,
    /// The business phone number ID (from WhatsApp Manager), not the phone number.
    pub phone_number_id: String,
    /// Name of the approved authentication template (copy-code or one-tap button).
    pub template_name: String,
    /// Template language code used when `template_languages` has no entry for the
    /// location's language, e.g. `en_US`.
    #[serde(default = "default_template_language")]
    pub template_language: String,
    /// Location language (`en`, `ru`, …) → template language code (`en_US`, `ru`), for
    /// templates approved in several languages.
    #[serde(default)]
    pub template_languages: BTreeMap<String, String>,
    /// Base URL of the Graph API; change it only to point tests at a fake server.
    #[serde(default = "default_base_url")]
    pub base_url: String,
    /// Graph API version, `vNN.N`.
    #[serde(default = "default_api_version")]
    pub api_version: String,
    /// Oldest status accepted in a webhook, in seconds, comparing the status's own
    /// `timestamp` (inside the signed body, so it cannot be altered) with when the
    /// gateway received it; older (or as far in the future) is refused as a possible
    /// replay. Default one day; at most seven days, how long Meta retries a webhook.
    #[serde(default = "default_report_max_age_secs")]
    pub report_max_age_secs: u64,
}

/// Default [`WhatsAppSettings::report_max_age_secs`]: one day.
fn default_report_max_age_secs() -> u64 {
    24 * 3600
}

fn default_template_language() -> String {
    "en_US".to_owned()
}

fn default_base_url() -> String {
    DEFAULT_BASE_URL.to_owned()
}

fn default_api_version() -> String {
    DEFAULT_API_VERSION.to_owned()
}

impl WhatsAppSettings {
    /// Parses and validates the instance's `settings` JSON; the error names the setting.
    pub fn from_json(settings: serde_json::Value) -> Result<Self, AdapterError> {
        let parsed: Self = serde_json::from_value(settings)
            .map_err(|e| AdapterError::config(format!("whatsapp settings: {e}")))?;
        parsed.validate()?;
        Ok(parsed)
    }

    fn validate(&self) -> Result<(), AdapterError> {
        let bad = |m: &str| Err(AdapterError::config(format!("whatsapp settings: {m}")));
        for (name, secret) in [
            ("access_token", &self.access_token),
            ("app_secret", &self.app_secret),
            ("verify_token", &self.verify_token),
        ] {
            if secret.expose().trim().is_empty() {
                return bad(&format!("`{name}` is empty"));
            }
        }
        if self.phone_number_id.is_empty()
            || !self.phone_number_id.bytes().all(|b| b.is_ascii_digit())
        {
            return bad("`phone_number_id` must be the numeric phone number ID");
        }
        // Template names are lowercase letters, digits and underscores.
        let name_ok = !self.template_name.is_empty()
            && self
                .template_name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !name_ok {
            return bad("`template_name` must be lowercase letters, digits and underscores");
        }
        let version_ok = self.api_version.strip_prefix('v').is_some_and(|v| {
            let mut parts = v.split('.');
            let numeric = |p: Option<&str>| {
                p.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
            };
            numeric(parts.next()) && numeric(parts.next()) && parts.next().is_none()
        });
        if !version_ok {
            return bad("`api_version` must look like `v23.0`");
        }
        let languages =
            std::iter::once(&self.template_language).chain(self.template_languages.values());
        for code in languages {
            if code.is_empty() || !code.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_') {
                return bad(&format!(
                    "template language code `{code}` must look like `en` or `en_US`"
                ));
            }
        }
        if !(60..=7 * 24 * 3600).contains(&self.report_max_age_secs) {
            return bad(
                "`report_max_age_secs` must be between 60 (a minute) and 604800 (seven days)",
            );
        }
        match gateway_sdk::http::reqwest::Url::parse(&self.base_url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(()),
            _ => bad("`base_url` must be an http(s) URL"),
        }
    }

    /// The messages endpoint of this phone number.
    pub fn messages_url(&self) -> String {
        format!(
            "{}/{}/{}/messages",
            self.base_url.trim_end_matches('/'),
            self.api_version,
            self.phone_number_id
        )
    }

    /// The template language code for a location language: an exact entry of
    /// `template_languages`, else the entry of its primary subtag (`pt-BR` → `pt`), else
    /// `template_language`.
    pub fn template_language_for(&self, language: &str) -> &str {
        let primary = language.split(['-', '_']).next().unwrap_or(language);
        self.template_languages
            .get(language)
            .or_else(|| self.template_languages.get(primary))
            .unwrap_or(&self.template_language)
    }
}
