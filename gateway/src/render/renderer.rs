//! The [`Renderer`]: built once from [`RenderConfig`] (templates compiled, operator rules
//! resolved) and then used for every message. See `docs/rendering.md` for the order in
//! which rules are applied.

#[cfg(test)]
mod tests;

use serde::Serialize;

use super::config::{LanguageConfig, RenderConfig};
use super::error::{RenderConfigError, RenderError};
use super::gsm;
use super::operator::{Operator, OperatorTable};
use super::pipeline::Job;
use super::segment::Encoding;
use super::template::{Template, TemplateKind};
use super::title::{self, TitleSource};

/// Stable names of the decisions reported in [`Rendered::rules_applied`].
pub mod rules {
    /// The operator rejects `code_only`, so the title template was used.
    pub const TITLE_REQUIRED_BY_OPERATOR: &str = "title_required_by_operator";
    /// No company name is set, so the location name is the title.
    pub const LOCATION_NAME_AS_TITLE: &str = "location_name_as_title";
    /// Typographic characters in the title were replaced to keep the text GSM-7.
    pub const SMART_ENCODING: &str = "smart_encoding";
    /// The title was transliterated to GSM-7 for a GSM-7-only operator.
    pub const TITLE_TRANSLITERATED: &str = "title_transliterated";
    /// The operator's stricter single-message limit decided the fit.
    pub const OPERATOR_MAX_UNITS: &str = "operator_max_units";
    /// The title was shortened to fit one SMS.
    pub const TITLE_SHORTENED: &str = "title_shortened";
    /// The title could not be used (too long or empty), so `code_only` was sent.
    pub const FALLBACK_CODE_ONLY: &str = "fallback_code_only";
}

/// The built-in languages, always present unless a configured language replaces them.
const BUILT_IN: [(&str, &str, &str); 2] = [
    (
        "en",
        "Confirmation code: %CODE%",
        "Confirmation code for %SALON_TITLE%: %CODE%",
    ),
    (
        "ru",
        "Код подтверждения: %CODE%",
        "Код подтверждения для %SALON_TITLE%: %CODE%",
    ),
];

/// One language's compiled templates.
#[derive(Clone, Debug)]
pub(super) struct Language {
    pub(super) code: String,
    code_only: Template,
    code_with_title: Template,
}

impl Language {
    fn compile(cfg: &LanguageConfig) -> Result<Self, RenderConfigError> {
        let valid = !cfg.code.is_empty()
            && cfg.code.len() <= 35
            && cfg
                .code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !valid {
            return Err(RenderConfigError::InvalidLanguageCode(cfg.code.clone()));
        }
        let compile = |kind, text: &str| {
            Template::compile(kind, text).map_err(|problem| RenderConfigError::Template {
                language: cfg.code.clone(),
                template: kind,
                problem,
            })
        };
        Ok(Language {
            code: cfg.code.clone(),
            code_only: compile(TemplateKind::CodeOnly, &cfg.code_only)?,
            code_with_title: compile(TemplateKind::CodeWithTitle, &cfg.code_with_title)?,
        })
    }

    pub(super) fn template(&self, kind: TemplateKind) -> &Template {
        match kind {
            TemplateKind::CodeOnly => &self.code_only,
            TemplateKind::CodeWithTitle => &self.code_with_title,
        }
    }
}

/// Renders messages; build once at start-up and share (it is immutable, `Send + Sync`).
#[derive(Clone, Debug)]
pub struct Renderer {
    languages: Vec<Language>,
    operators: OperatorTable,
    min_title_chars: usize,
}

/// What to render: the location's settings, the code and the destination. Its `Debug`
/// hides the code and masks the phone number.
#[derive(Clone, Copy)]
pub struct RenderRequest<'a> {
    /// The location's language code (`en`, `ru` or a configured one).
    pub language: &'a str,
    /// The template the location chose.
    pub template: TemplateKind,
    /// Company name from the location settings, if set.
    pub company_name: Option<&'a str>,
    /// Location name, the title when no company name is set.
    pub location_name: &'a str,
    /// The confirmation code.
    pub code: &'a str,
    /// Destination in E.164, used to pick the operator rule.
    pub phone_e164: &'a str,
}

/// A rendered message and everything decided on the way. Its `Debug` and `Serialize`
/// leave out `text` (it contains the code); `masked_text` is safe to show.
#[derive(Serialize, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The text to send. Never log it: it contains the code.
    #[serde(skip_serializing)]
    pub text: String,
    /// The same text with the code replaced by `*`, safe to store and echo.
    pub masked_text: String,
    /// GSM-7 or UCS-2.
    pub encoding: Encoding,
    /// SMS parts (always 1 for a successful render).
    pub segments: u32,
    /// Septets or UTF-16 units of the text.
    pub units: u32,
    /// The single-message limit that applied.
    pub max_units: u32,
    /// Whether `units <= max_units`.
    pub fits_single_segment: bool,
    /// The operator id whose rules applied (`default` when none matched).
    pub operator: String,
    /// Decisions taken, as stable snake_case names (see [`rules`]).
    pub rules_applied: Vec<String>,
    /// The template actually used.
    pub template: TemplateKind,
    /// The title put into the message, after any transliteration or shortening.
    pub title_used: Option<String>,
    /// Whether the title was shortened to fit.
    pub title_shortened: bool,
    /// Sender id requested by the operator rule.
    pub sender_id: Option<String>,
}

impl std::fmt::Debug for RenderRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderRequest")
            .field("language", &self.language)
            .field("template", &self.template)
            .field("company_name", &self.company_name)
            .field("location_name", &self.location_name)
            .field("code", &"***")
            .field("phone_e164", &crate::phone::mask(self.phone_e164))
            .finish()
    }
}

impl std::fmt::Debug for Rendered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rendered")
            .field("masked_text", &self.masked_text)
            .field("encoding", &self.encoding)
            .field("segments", &self.segments)
            .field("units", &self.units)
            .field("max_units", &self.max_units)
            .field("fits_single_segment", &self.fits_single_segment)
            .field("operator", &self.operator)
            .field("rules_applied", &self.rules_applied)
            .field("template", &self.template)
            .field("title_used", &self.title_used)
            .field("title_shortened", &self.title_shortened)
            .field("sender_id", &self.sender_id)
            .finish_non_exhaustive()
    }
}

impl Renderer {
    /// Compiles templates and operator rules; the error names what to fix.
    pub fn new(cfg: &RenderConfig) -> Result<Self, RenderConfigError> {
        if cfg.min_title_chars == 0 {
            return Err(RenderConfigError::MinTitleChars);
        }
        let mut languages: Vec<Language> = Vec::new();
        for cfg_lang in &cfg.languages {
            if languages
                .iter()
                .any(|l| l.code.eq_ignore_ascii_case(&cfg_lang.code))
            {
                return Err(RenderConfigError::DuplicateLanguage(cfg_lang.code.clone()));
            }
            languages.push(Language::compile(cfg_lang)?);
        }
        for (code, code_only, code_with_title) in BUILT_IN {
            if !languages.iter().any(|l| l.code.eq_ignore_ascii_case(code)) {
                languages.push(Language::compile(&LanguageConfig {
                    code: code.to_owned(),
                    code_only: code_only.to_owned(),
                    code_with_title: code_with_title.to_owned(),
                })?);
            }
        }
        languages.sort_by(|a, b| a.code.cmp(&b.code));
        Ok(Renderer {
            languages,
            operators: OperatorTable::new(&cfg.default_operator, &cfg.operators)?,
            min_title_chars: cfg.min_title_chars,
        })
    }

    /// The language codes that have templates, sorted.
    pub fn languages(&self) -> impl Iterator<Item = &str> {
        self.languages.iter().map(|l| l.code.as_str())
    }

    /// Whether `code` names a language with templates (ignoring case).
    pub fn has_language(&self, code: &str) -> bool {
        self.language(code).is_some()
    }

    /// The operator rule for a destination (longest prefix, else the default rule).
    pub fn operator_for(&self, e164: &str) -> &Operator {
        self.operators.lookup(e164)
    }

    /// The rule used when no operator prefix matches.
    pub fn default_operator(&self) -> &Operator {
        self.operators.default_operator()
    }

    /// All configured operators (without the default rule).
    pub fn operators(&self) -> &[Operator] {
        self.operators.operators()
    }

    fn language(&self, code: &str) -> Option<&Language> {
        self.languages
            .iter()
            .find(|l| l.code.eq_ignore_ascii_case(code))
    }

    /// Renders one message, applying the operator's rules and fitting it into one SMS.
    pub fn render(&self, req: &RenderRequest<'_>) -> Result<Rendered, RenderError> {
        if req.code.is_empty() || req.code.chars().any(char::is_control) {
            return Err(RenderError::InvalidCode);
        }
        let lang = self
            .language(req.language)
            .ok_or_else(|| RenderError::UnknownLanguage(req.language.to_owned()))?;
        let op = self.operators.lookup(req.phone_e164);
        let mut job = Job::new(lang, op, req.code, self.min_title_chars);
        let mut kind = req.template;
        if kind == TemplateKind::CodeOnly && op.require_title {
            kind = TemplateKind::CodeWithTitle;
            job.rule(rules::TITLE_REQUIRED_BY_OPERATOR);
        }
        if op.gsm7_only && !gsm::is_gsm7_str(req.code) {
            return Err(job.gsm7_error("the code has characters outside GSM-7; send digits"));
        }
        if kind == TemplateKind::CodeOnly {
            return job.finish_code_only();
        }
        let Some((title, source)) = title::choose(req.company_name, req.location_name) else {
            return job.without_title();
        };
        if source == TitleSource::Location {
            job.rule(rules::LOCATION_NAME_AS_TITLE);
        }
        job.with_title(title)
    }
}
