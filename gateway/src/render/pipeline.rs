//! The rule pipeline of one render: what happens after the language and operator are
//! known. Order: required title, GSM-7-only checks, title choice, smart encoding or
//! transliteration, the fit check, shortening, the `code_only` fallback. Every decision
//! is recorded under its stable name from [`rules`].

use super::error::RenderError;
use super::gsm;
use super::operator::Operator;
use super::renderer::{Language, Rendered, rules};
use super::segment::{self, Encoding};
use super::smart;
use super::template::TemplateKind;
use super::title::{self, Frame};
use super::translit;

/// The state of one render: what was decided so far.
pub(super) struct Job<'r> {
    lang: &'r Language,
    op: &'r Operator,
    code: &'r str,
    min_title_chars: usize,
    rules: Vec<String>,
}

impl<'r> Job<'r> {
    /// Starts a render for `code` in `lang` under `op`'s rules.
    pub(super) fn new(
        lang: &'r Language,
        op: &'r Operator,
        code: &'r str,
        min_title_chars: usize,
    ) -> Self {
        Job {
            lang,
            op,
            code,
            min_title_chars,
            rules: Vec::new(),
        }
    }

    /// Records a decision (once).
    pub(super) fn rule(&mut self, name: &str) {
        if !self.rules.iter().any(|r| r == name) {
            self.rules.push(name.to_owned());
        }
    }

    pub(super) fn gsm7_error(&self, reason: &str) -> RenderError {
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
    pub(super) fn without_title(mut self) -> Result<Rendered, RenderError> {
        if self.op.require_title {
            return Err(RenderError::TitleMissing {
                operator: self.op.id.clone(),
            });
        }
        self.rule(rules::FALLBACK_CODE_ONLY);
        self.finish_code_only()
    }

    pub(super) fn finish_code_only(self) -> Result<Rendered, RenderError> {
        self.check_template_gsm7(TemplateKind::CodeOnly)?;
        let t = self.lang.template(TemplateKind::CodeOnly);
        let text = t.fill(self.code, "");
        self.finish(TemplateKind::CodeOnly, text, None, false)
    }

    pub(super) fn with_title(mut self, title: String) -> Result<Rendered, RenderError> {
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
