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
use super::segment::{self, Encoding};
use super::smart;
use super::template::{Template, TemplateKind};
use super::title::{self, Frame, TitleSource};
use super::translit;

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
struct Language {
    code: String,
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

    fn template(&self, kind: TemplateKind) -> &Template {
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

/// What to render: the location's settings, the code and the destination.
#[derive(Clone, Copy, Debug)]
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

/// A rendered message and everything decided on the way.
#[derive(Serialize, Clone, PartialEq, Eq, Debug)]
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
        let mut job = Job {
            lang,
            op,
            code: req.code,
            min_title_chars: self.min_title_chars,
            rules: Vec::new(),
        };
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

/// The state of one render: what was decided so far.
struct Job<'r> {
    lang: &'r Language,
    op: &'r Operator,
    code: &'r str,
    min_title_chars: usize,
    rules: Vec<String>,
}

impl Job<'_> {
    fn rule(&mut self, name: &str) {
        if !self.rules.iter().any(|r| r == name) {
            self.rules.push(name.to_owned());
        }
    }

    fn gsm7_error(&self, reason: &str) -> RenderError {
        RenderError::Gsm7Required {
            operator: self.op.id.clone(),
            reason: reason.to_owned(),
        }
    }

    fn check_template_gsm7(&self, kind: TemplateKind) -> Result<(), RenderError> {
        let literal = self.lang.template(kind).literal_text();
        if self.op.gsm7_only && !gsm::is_gsm7_str(literal) {
            return Err(self.gsm7_error(&format!(
                "the `{}` {kind} template is not GSM-7; use a Latin-script language for this location",
                self.lang.code
            )));
        }
        Ok(())
    }

    /// No usable title: refuse when the operator requires one, else send `code_only`.
    fn without_title(mut self) -> Result<Rendered, RenderError> {
        if self.op.require_title {
            return Err(RenderError::TitleMissing {
                operator: self.op.id.clone(),
            });
        }
        self.rule(rules::FALLBACK_CODE_ONLY);
        self.finish_code_only()
    }

    fn finish_code_only(self) -> Result<Rendered, RenderError> {
        self.check_template_gsm7(TemplateKind::CodeOnly)?;
        let t = self.lang.template(TemplateKind::CodeOnly);
        let text = t.fill(self.code, "");
        self.finish(TemplateKind::CodeOnly, text, None, false)
    }

    fn with_title(mut self, title: String) -> Result<Rendered, RenderError> {
        self.check_template_gsm7(TemplateKind::CodeWithTitle)?;
        let t = self.lang.template(TemplateKind::CodeWithTitle);
        let literal = t.literal_text();
        let frame_gsm = gsm::is_gsm7_str(literal) && gsm::is_gsm7_str(self.code);
        let title = match self.encode_title(title, frame_gsm)? {
            Some(t) => t,
            None => return self.without_title(),
        };
        let text = t.fill(self.code, &title);
        let (encoding, units) = segment::measure(&text);
        let frame = Frame {
            gsm: frame_gsm,
            septets: segment::units_in(literal, Encoding::Gsm7)
                + segment::units_in(self.code, Encoding::Gsm7),
            utf16: segment::units_in(literal, Encoding::Ucs2)
                + segment::units_in(self.code, Encoding::Ucs2),
            max_units: self.op.max_units,
        };
        if units <= frame.limit(encoding) {
            return self.finish(TemplateKind::CodeWithTitle, text, Some(title), false);
        }
        if frame.limit(encoding) < encoding.single_limit() {
            self.rule(rules::OPERATOR_MAX_UNITS);
        }
        if let Some(short) = title::shorten(&title, &frame, self.min_title_chars) {
            self.rule(rules::TITLE_SHORTENED);
            let text = t.fill(self.code, &short);
            return self.finish(TemplateKind::CodeWithTitle, text, Some(short), true);
        }
        if self.op.require_title {
            return Err(self.too_long(TemplateKind::CodeWithTitle, &text, units, encoding));
        }
        self.rule(rules::FALLBACK_CODE_ONLY);
        self.finish_code_only()
    }

    /// Applies GSM-7-only transliteration or smart encoding to the title. `None` when
    /// nothing of the title survives transliteration.
    fn encode_title(
        &mut self,
        title: String,
        frame_gsm: bool,
    ) -> Result<Option<String>, RenderError> {
        if gsm::is_gsm7_str(&title) {
            return Ok(Some(title));
        }
        if self.op.gsm7_only || (self.op.smart_encoding && frame_gsm) {
            let smart = smart::apply(&title);
            if gsm::is_gsm7_str(&smart) {
                let smart = title::normalize(&smart);
                self.rule(rules::SMART_ENCODING);
                return Ok(Some(smart).filter(|s| !s.is_empty()));
            }
        }
        if !self.op.gsm7_only {
            return Ok(Some(title));
        }
        if !self.op.transliterate_title {
            return Err(self.gsm7_error(
                "the title has characters outside GSM-7 and transliteration is off; use a Latin-script company name",
            ));
        }
        let t = translit::to_gsm7(&title);
        self.rule(rules::TITLE_TRANSLITERATED);
        Ok(Some(t).filter(|t| !t.is_empty()))
    }

    fn too_long(
        &self,
        kind: TemplateKind,
        text: &str,
        units: u32,
        encoding: Encoding,
    ) -> RenderError {
        let max_units = limit(self.op, encoding);
        let hint = if kind == TemplateKind::CodeOnly {
            " or a shorter code".to_owned()
        } else {
            String::new()
        };
        RenderError::TooLong {
            units,
            max_units,
            encoding,
            segments: segment::segment(text).segments,
            operator: self.op.id.clone(),
            template: kind,
            hint,
        }
    }

    fn finish(
        self,
        kind: TemplateKind,
        text: String,
        title_used: Option<String>,
        title_shortened: bool,
    ) -> Result<Rendered, RenderError> {
        let (encoding, units) = segment::measure(&text);
        let max_units = limit(self.op, encoding);
        if units > max_units {
            return Err(self.too_long(kind, &text, units, encoding));
        }
        let masked_text = self
            .lang
            .template(kind)
            .fill_masked(self.code, title_used.as_deref().unwrap_or(""));
        Ok(Rendered {
            text,
            // units <= max_units <= the single-message limit, so one part.
            masked_text,
            encoding,
            segments: 1,
            units,
            max_units,
            fits_single_segment: true,
            operator: self.op.id.clone(),
            rules_applied: self.rules,
            template: kind,
            title_used,
            title_shortened,
            sender_id: self.op.sender_id.clone(),
        })
    }
}

/// The single-message limit for `encoding` under `op`'s rules.
fn limit(op: &Operator, encoding: Encoding) -> u32 {
    let base = encoding.single_limit();
    op.max_units.map_or(base, |m| m.min(base))
}
