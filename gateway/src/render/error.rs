//! Errors of rendering: configuration problems found at start-up (each names the
//! language, template or operator to fix) and per-message refusals (each says what the
//! caller or the location's settings must change).

use thiserror::Error;

use super::segment::Encoding;
use super::template::TemplateKind;

/// A `[render]` configuration the gateway refuses to start with.
#[derive(Error, Clone, PartialEq, Eq, Debug)]
pub enum RenderConfigError {
    /// A language's template is malformed.
    #[error(
        "[render.languages] language `{language}`, template `{template}`: {problem}; fix the template text"
    )]
    Template {
        /// The language code.
        language: String,
        /// Which of the two templates.
        template: TemplateKind,
        /// What is wrong with it.
        problem: String,
    },
    /// A language code is empty or has characters other than ASCII letters, digits, `-`.
    #[error("[render.languages] language code `{0}` is invalid; use a code like `de` or `pt-BR`")]
    InvalidLanguageCode(String),
    /// The same language is configured twice.
    #[error("[render.languages] language `{0}` is configured twice; keep one entry")]
    DuplicateLanguage(String),
    /// An operator id is empty or not snake/kebab-case ASCII.
    #[error(
        "[render.operators] operator id `{0}` is invalid; use lower-case letters, digits, `-` and `_` (e.g. `ru-megafon`)"
    )]
    InvalidOperatorId(String),
    /// Two operators share an id (ids label metrics, so they must be unique).
    #[error("[render.operators] operator id `{0}` is used twice; ids must be unique")]
    DuplicateOperatorId(String),
    /// A prefix is not `+` followed by 1 to 15 digits.
    #[error(
        "[render.operators] operator `{operator}`: prefix `{prefix}` is invalid; write E.164 prefixes like `+7920`"
    )]
    InvalidPrefix {
        /// The operator id.
        operator: String,
        /// The offending prefix.
        prefix: String,
    },
    /// Two operators claim the same prefix, so the match would be ambiguous.
    #[error(
        "[render.operators] prefix `{prefix}` is claimed by both `{first}` and `{second}`; remove one"
    )]
    DuplicatePrefix {
        /// The prefix.
        prefix: String,
        /// The operator that listed it first.
        first: String,
        /// The operator that listed it again.
        second: String,
    },
    /// An operator has no prefixes (it could never match).
    #[error("[render.operators] operator `{0}` has no prefixes; list at least one E.164 prefix")]
    NoPrefixes(String),
    /// `max_units` of 0 or too small to carry any code.
    #[error("operator `{operator}`: max_units = {max_units} is out of range; use {min}..=160")]
    MaxUnitsOutOfRange {
        /// The operator id (`default` for the default rule).
        operator: String,
        /// The configured value.
        max_units: u32,
        /// The smallest accepted value.
        min: u32,
    },
    /// `min_title_chars` of 0 would allow an empty title.
    #[error("[render] min_title_chars must be at least 1")]
    MinTitleChars,
}

/// Why one message could not be rendered.
#[derive(Error, Clone, PartialEq, Eq, Debug)]
pub enum RenderError {
    /// Even after shortening the title the text does not fit one SMS.
    #[error(
        "message needs {units} {encoding} units but operator `{operator}` allows {max_units} in one SMS; use a shorter company or location name{hint}"
    )]
    TooLong {
        /// Units of the shortest text that could be produced.
        units: u32,
        /// The single-message limit that applied.
        max_units: u32,
        /// The encoding of that text.
        encoding: Encoding,
        /// Segments that text would need.
        segments: u32,
        /// The operator whose rules applied.
        operator: String,
        /// The template that was tried last.
        template: TemplateKind,
        /// Extra advice, e.g. about the code length.
        hint: String,
    },
    /// The location's language has no templates.
    #[error("language `{0}` has no templates; use `en`, `ru` or add it under [[render.languages]]")]
    UnknownLanguage(String),
    /// The operator only accepts GSM-7 and the message cannot be made GSM-7.
    #[error("operator `{operator}` only accepts GSM-7 text: {reason}")]
    Gsm7Required {
        /// The operator id.
        operator: String,
        /// What could not be converted and what to do about it.
        reason: String,
    },
    /// The operator requires a title but neither a company nor a location name is set.
    #[error(
        "operator `{operator}` requires the company name in the message, but neither a company name nor a location name is set; set one in the location settings"
    )]
    TitleMissing {
        /// The operator id.
        operator: String,
    },
    /// The code is empty or contains control characters.
    #[error("the confirmation code must be non-empty printable text")]
    InvalidCode,
}
