//! Operator rules resolved at start-up and matched by the longest E.164 prefix. The
//! prefix of a number says which network the range was allocated to; with number
//! portability that is a good guess, not a fact, which is why every rule also has a
//! default.

#[cfg(test)]
mod tests;

use std::collections::HashMap;

use super::config::{OperatorConfig, OperatorRuleConfig};
use super::error::RenderConfigError;

/// The id of the rule used when no prefix matches.
pub const DEFAULT_OPERATOR_ID: &str = "default";

/// Smallest accepted `max_units`: room for a short template and a code.
pub const MIN_MAX_UNITS: u32 = 20;

/// One operator's resolved rules (defaults already applied).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Operator {
    /// Stable id for metrics and reports (`default` when no prefix matched).
    pub id: String,
    /// `code_only` is sent as `code_with_title`.
    pub require_title: bool,
    /// Stricter single-message limit, if any.
    pub max_units: Option<u32>,
    /// Only GSM-7 text is accepted.
    pub gsm7_only: bool,
    /// With `gsm7_only`: transliterate titles instead of refusing.
    pub transliterate_title: bool,
    /// Replace typographic look-alikes in titles when that makes the text GSM-7.
    pub smart_encoding: bool,
    /// Sender id to request from the adapter.
    pub sender_id: Option<String>,
    /// Adapter instances allowed for this operator; `None` means all.
    pub adapters: Option<Vec<String>>,
    /// Sending to this operator is refused (the caller checks this before routing).
    pub blocked: bool,
}

impl Operator {
    fn resolve(
        id: &str,
        rules: &OperatorRuleConfig,
        base: &OperatorRuleConfig,
    ) -> Result<Self, RenderConfigError> {
        let max_units = rules.max_units.or(base.max_units);
        if let Some(m) = max_units
            && !(MIN_MAX_UNITS..=super::segment::GSM7_SINGLE).contains(&m)
        {
            return Err(RenderConfigError::MaxUnitsOutOfRange {
                operator: id.to_owned(),
                max_units: m,
                min: MIN_MAX_UNITS,
            });
        }
        Ok(Operator {
            id: id.to_owned(),
            require_title: rules.require_title.or(base.require_title).unwrap_or(false),
            max_units,
            gsm7_only: rules.gsm7_only.or(base.gsm7_only).unwrap_or(false),
            transliterate_title: rules
                .transliterate_title
                .or(base.transliterate_title)
                .unwrap_or(true),
            smart_encoding: rules.smart_encoding.or(base.smart_encoding).unwrap_or(true),
            sender_id: rules.sender_id.clone().or_else(|| base.sender_id.clone()),
            adapters: rules.adapters.clone().or_else(|| base.adapters.clone()),
            blocked: rules.blocked.or(base.blocked).unwrap_or(false),
        })
    }

    /// Whether `adapter` may carry messages to this operator.
    pub fn allows_adapter(&self, adapter: &str) -> bool {
        self.adapters
            .as_ref()
            .is_none_or(|list| list.iter().any(|a| a == adapter))
    }
}

/// All operators and a prefix index for longest-prefix lookup.
#[derive(Clone, Debug)]
pub struct OperatorTable {
    default: Operator,
    operators: Vec<Operator>,
    /// Prefix (with `+`) to index in `operators`.
    by_prefix: HashMap<String, usize>,
    /// Longest configured prefix in bytes, so lookup tries only useful lengths.
    longest: usize,
}

impl OperatorTable {
    /// Resolves and checks the configured rules.
    pub fn new(
        default: &OperatorRuleConfig,
        operators: &[OperatorConfig],
    ) -> Result<Self, RenderConfigError> {
        let none = OperatorRuleConfig::default();
        let default_op = Operator::resolve(DEFAULT_OPERATOR_ID, default, &none)?;
        let mut table = OperatorTable {
            default: default_op,
            operators: Vec::with_capacity(operators.len()),
            by_prefix: HashMap::new(),
            longest: 0,
        };
        for cfg in operators {
            if !valid_id(&cfg.id) {
                return Err(RenderConfigError::InvalidOperatorId(cfg.id.clone()));
            }
            if cfg.id == DEFAULT_OPERATOR_ID || table.operators.iter().any(|o| o.id == cfg.id) {
                return Err(RenderConfigError::DuplicateOperatorId(cfg.id.clone()));
            }
            if cfg.prefixes.is_empty() {
                return Err(RenderConfigError::NoPrefixes(cfg.id.clone()));
            }
            let index = table.operators.len();
            for prefix in &cfg.prefixes {
                if !valid_prefix(prefix) {
                    return Err(RenderConfigError::InvalidPrefix {
                        operator: cfg.id.clone(),
                        prefix: prefix.clone(),
                    });
                }
                if let Some(&other) = table.by_prefix.get(prefix) {
                    let first = match table.operators.get(other) {
                        Some(o) => o.id.clone(),
                        None => cfg.id.clone(), // listed twice by this very operator
                    };
                    return Err(RenderConfigError::DuplicatePrefix {
                        prefix: prefix.clone(),
                        first,
                        second: cfg.id.clone(),
                    });
                }
                table.by_prefix.insert(prefix.clone(), index);
                table.longest = table.longest.max(prefix.len());
            }
            table
                .operators
                .push(Operator::resolve(&cfg.id, &cfg.rules(), default)?);
        }
        Ok(table)
    }

    /// The operator whose longest prefix matches `e164`, or the default rule.
    pub fn lookup(&self, e164: &str) -> &Operator {
        let max = self.longest.min(e164.len());
        for len in (2..=max).rev() {
            if let Some(prefix) = e164.get(..len)
                && let Some(&i) = self.by_prefix.get(prefix)
                && let Some(op) = self.operators.get(i)
            {
                return op;
            }
        }
        &self.default
    }

    /// The default rule.
    pub fn default_operator(&self) -> &Operator {
        &self.default
    }

    /// All configured operators (without the default), in configuration order.
    pub fn operators(&self) -> &[Operator] {
        &self.operators
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// `+` and 1..=15 digits (E.164 numbers have at most 15 digits).
fn valid_prefix(p: &str) -> bool {
    p.strip_prefix('+')
        .is_some_and(|d| (1..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()))
}
