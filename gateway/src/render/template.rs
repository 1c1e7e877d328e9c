//! The two standard message templates, compiled once at start-up into literal pieces and
//! placeholders, and filled in a single pass: a value is never scanned for placeholders
//! again, so a company called `50%CODE%` is printed literally.

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

/// The placeholder for the confirmation code.
pub const CODE: &str = "%CODE%";
/// The placeholder for the company name (or the location name when none is set).
pub const SALON_TITLE: &str = "%SALON_TITLE%";

/// Which of the two standard templates a location uses.
#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[serde(rename_all = "snake_case")]
pub enum TemplateKind {
    /// Template 1: `Confirmation code: %CODE%`.
    CodeOnly,
    /// Template 2: `Confirmation code for %SALON_TITLE%: %CODE%`.
    CodeWithTitle,
}

impl TemplateKind {
    /// The name used in configuration and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            TemplateKind::CodeOnly => "code_only",
            TemplateKind::CodeWithTitle => "code_with_title",
        }
    }
}

impl std::fmt::Display for TemplateKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One piece of a compiled template.
#[derive(Clone, PartialEq, Eq, Debug)]
enum Piece {
    Text(String),
    Code,
    Title,
}

/// A template checked and split into pieces at start-up.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Template {
    pieces: Vec<Piece>,
    /// The literal text (placeholders removed), for encoding and size checks; its
    /// length also sizes the output buffer in one allocation.
    literal: String,
}

impl Template {
    /// Compiles `text` as a template of `kind`: `%CODE%` must occur exactly once,
    /// `%SALON_TITLE%` exactly once in `code_with_title` and never in `code_only`, and no
    /// other `%NAME%` placeholder may appear. The error says what is wrong.
    pub fn compile(kind: TemplateKind, text: &str) -> Result<Self, String> {
        let mut pieces = Vec::new();
        let (mut codes, mut titles) = (0, 0);
        let mut rest = text;
        let mut literal = String::new();
        while let Some(at) = rest.find('%') {
            literal.push_str(&rest[..at]);
            let tail = &rest[at..];
            if let Some(after) = tail.strip_prefix(CODE) {
                push_text(&mut pieces, &mut literal);
                pieces.push(Piece::Code);
                codes += 1;
                rest = after;
            } else if let Some(after) = tail.strip_prefix(SALON_TITLE) {
                push_text(&mut pieces, &mut literal);
                pieces.push(Piece::Title);
                titles += 1;
                rest = after;
            } else if let Some(name) = unknown_placeholder(tail) {
                return Err(format!(
                    "unknown placeholder %{name}%; only {CODE} and {SALON_TITLE} exist"
                ));
            } else {
                literal.push('%');
                rest = &tail[1..];
            }
        }
        literal.push_str(rest);
        push_text(&mut pieces, &mut literal);
        match (kind, codes, titles) {
            (_, 0, _) => return Err(format!("{CODE} is missing")),
            (_, 2.., _) => return Err(format!("{CODE} must appear once")),
            (TemplateKind::CodeOnly, _, 1..) => {
                return Err(format!("{SALON_TITLE} is not allowed in code_only"));
            }
            (TemplateKind::CodeWithTitle, _, 0) => {
                return Err(format!("{SALON_TITLE} is missing"));
            }
            (TemplateKind::CodeWithTitle, _, 2..) => {
                return Err(format!("{SALON_TITLE} must appear once"));
            }
            _ => {}
        }
        let literal = pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect();
        Ok(Template { pieces, literal })
    }

    /// Fills the template in one pass. `title` is ignored by `code_only` templates.
    pub fn fill(&self, code: &str, title: &str) -> String {
        let mut out = String::with_capacity(self.literal.len() + code.len() + title.len());
        self.fill_into(&mut out, code, title);
        out
    }

    /// Like [`Template::fill`] with the code replaced by one `*` per character, for
    /// anything that is echoed back or stored.
    pub fn fill_masked(&self, code: &str, title: &str) -> String {
        let n = code.chars().count();
        let stars = "*".repeat(n);
        self.fill(&stars, title)
    }

    /// The literal text of the template (placeholders removed), for encoding checks.
    pub fn literal_text(&self) -> &str {
        &self.literal
    }

    fn fill_into(&self, out: &mut String, code: &str, title: &str) {
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Code => out.push_str(code),
                Piece::Title => out.push_str(title),
            }
        }
    }
}

fn push_text(pieces: &mut Vec<Piece>, literal: &mut String) {
    if !literal.is_empty() {
        pieces.push(Piece::Text(std::mem::take(literal)));
    }
}

/// `Some(NAME)` when `s` starts with `%NAME%`, NAME being upper-case letters, digits and
/// underscores: a misspelt placeholder that would otherwise be sent literally.
fn unknown_placeholder(s: &str) -> Option<&str> {
    let body = s.strip_prefix('%')?;
    let end = body.find('%')?;
    let name = &body[..end];
    let looks_like = !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    looks_like.then_some(name)
}
