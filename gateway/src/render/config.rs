//! Configuration of message rendering, embedded in the gateway's main config as
//! `[render]`: extra languages, the minimum title length kept when shortening, the
//! default operator rule and the per-operator rules matched by E.164 prefix. Every field
//! has a default, so an empty `[render]` gives English and Russian with no operator rules.

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

/// `[render]`: how messages are rendered and which operator rules apply.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, Debug)]
#[serde(deny_unknown_fields, default)]
pub struct RenderConfig {
    /// Shortest title, in user-perceived characters, that shortening may leave. Below it
    /// the title is dropped (`code_only`) or the message is refused when the operator
    /// requires a title. Default 3.
    pub min_title_chars: usize,
    /// Languages beyond the built-in `en` and `ru` (a code listed here that matches a
    /// built-in replaces it). Each must give both standard templates.
    pub languages: Vec<LanguageConfig>,
    /// The rule for numbers no operator prefix matches; its fields are also the
    /// defaults that operator rules inherit.
    pub default_operator: OperatorRuleConfig,
    /// Operator rules, matched by the longest E.164 prefix.
    pub operators: Vec<OperatorConfig>,
}

impl Default for RenderConfig {
    fn default() -> Self {
        RenderConfig {
            min_title_chars: 3,
            languages: Vec::new(),
            default_operator: OperatorRuleConfig::default(),
            operators: Vec::new(),
        }
    }
}

/// `[[render.languages]]`: the two standard templates in one more language.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, Debug)]
#[serde(deny_unknown_fields)]
pub struct LanguageConfig {
    /// Language code as locations use it, e.g. `de` or `pt-BR` (matched ignoring case).
    pub code: String,
    /// Template 1; must contain `%CODE%` once and no `%SALON_TITLE%`.
    pub code_only: String,
    /// Template 2; must contain `%CODE%` and `%SALON_TITLE%` once each.
    pub code_with_title: String,
}

/// The rules of one operator. Every field is optional: an unset field of an operator
/// takes the value of `[render.default_operator]`, and an unset default is off / none.
#[derive(Serialize, Deserialize, Clone, Default, PartialEq, Eq, Debug)]
#[serde(deny_unknown_fields)]
pub struct OperatorRuleConfig {
    /// The operator rejects `code_only`: such messages are sent with the title template.
    pub require_title: Option<bool>,
    /// A stricter single-message limit in the message's own units (septets for GSM-7,
    /// UTF-16 units for UCS-2), e.g. 69 where aggregators reserve one UCS-2 unit.
    pub max_units: Option<u32>,
    /// The operator only delivers GSM-7: non-GSM titles are transliterated (or refused
    /// when `transliterate_title = false`), and languages whose template is not GSM-7
    /// are refused.
    pub gsm7_only: Option<bool>,
    /// With `gsm7_only`, transliterate the title (Cyrillic to Latin etc.) instead of
    /// refusing the message. Default true.
    pub transliterate_title: Option<bool>,
    /// Replace curly quotes, dashes, special spaces and the like in the title with GSM-7
    /// equivalents when that makes the whole message GSM-7. Default true.
    pub smart_encoding: Option<bool>,
    /// Alphanumeric or numeric sender id to ask the adapter for.
    pub sender_id: Option<String>,
    /// Adapter instance names allowed to carry messages to this operator (all when unset).
    pub adapters: Option<Vec<String>>,
    /// Numbers of this operator must not be sent to (e.g. toll-fraud ranges).
    pub blocked: Option<bool>,
}

/// `[[render.operators]]`: an operator's id, its number prefixes and its rules. The rule
/// fields mean the same as in [`OperatorRuleConfig`] and inherit from
/// `[render.default_operator]` when unset. (They are spelled out rather than flattened
/// because serde cannot combine `flatten` with `deny_unknown_fields`.)
#[derive(Serialize, Deserialize, Clone, Default, PartialEq, Eq, Debug)]
#[serde(deny_unknown_fields)]
pub struct OperatorConfig {
    /// Stable id used in metrics and reports, e.g. `ru-megafon`.
    pub id: String,
    /// E.164 prefixes with the leading `+`, e.g. `+7920`. The longest match wins.
    pub prefixes: Vec<String>,
    /// See [`OperatorRuleConfig::require_title`].
    pub require_title: Option<bool>,
    /// See [`OperatorRuleConfig::max_units`].
    pub max_units: Option<u32>,
    /// See [`OperatorRuleConfig::gsm7_only`].
    pub gsm7_only: Option<bool>,
    /// See [`OperatorRuleConfig::transliterate_title`].
    pub transliterate_title: Option<bool>,
    /// See [`OperatorRuleConfig::smart_encoding`].
    pub smart_encoding: Option<bool>,
    /// See [`OperatorRuleConfig::sender_id`].
    pub sender_id: Option<String>,
    /// See [`OperatorRuleConfig::adapters`].
    pub adapters: Option<Vec<String>>,
    /// See [`OperatorRuleConfig::blocked`].
    pub blocked: Option<bool>,
}

impl OperatorConfig {
    /// The rule fields of this operator, as an [`OperatorRuleConfig`].
    pub fn rules(&self) -> OperatorRuleConfig {
        OperatorRuleConfig {
            require_title: self.require_title,
            max_units: self.max_units,
            gsm7_only: self.gsm7_only,
            transliterate_title: self.transliterate_title,
            smart_encoding: self.smart_encoding,
            sender_id: self.sender_id.clone(),
            adapters: self.adapters.clone(),
            blocked: self.blocked,
        }
    }
}
