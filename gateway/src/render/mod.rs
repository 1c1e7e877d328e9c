//! Message rendering: fills one of the two standard templates in the location's
//! language, applies the rules of the destination's operator (required title, stricter
//! limits, GSM-7 only, smart encoding, sender id), measures the text as carriers segment
//! it, and shortens the title so the code always goes out in a single SMS. Everything
//! here is pure: no I/O, no clock, no logging of codes or texts.

mod config;
mod error;
mod grapheme;
pub mod gsm;
mod operator;
mod pipeline;
mod renderer;
mod segment;
pub mod smart;
mod template;
mod title;
pub mod translit;

pub use config::{LanguageConfig, OperatorConfig, OperatorRuleConfig, RenderConfig};
pub use error::{RenderConfigError, RenderError};
pub use operator::{DEFAULT_OPERATOR_ID, Operator};
pub use renderer::{RenderRequest, Rendered, Renderer, rules};
pub use segment::{
    Encoding, GSM7_PART, GSM7_SINGLE, SegmentInfo, UCS2_PART, UCS2_SINGLE, measure, segment,
};
pub use template::{CODE, SALON_TITLE, TemplateKind};
