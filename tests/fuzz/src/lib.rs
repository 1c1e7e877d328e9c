//! The fuzz targets' bodies: each takes the raw bytes libFuzzer generates, turns them
//! into an input for one parser of untrusted data, runs it and checks what must hold
//! whatever the input (no panic, plus each target's own invariants). They live in a
//! workspace crate so that `cargo build`, clippy and `cargo test` keep them compiling
//! and replay the committed corpora (`tests/fuzz/corpus/<target>/`) on every run; the
//! libFuzzer harness in `tests/fuzz/libfuzzer` (outside the workspace, because it is
//! built with coverage instrumentation) only calls them. See docs/testing.md.
//!
//! Inputs are plain text where the parser reads text, so seeds can be written by hand:
//! see each target's doc for its format.

pub mod abi;
pub mod callbacks;
pub mod config;
pub mod phone;
pub mod render;

/// A fuzz target: a name (its corpus directory) and its body.
pub type Target = (&'static str, fn(&[u8]));

/// Every target, by corpus directory name.
pub const TARGETS: &[Target] = &[
    ("phone", phone::phone),
    ("render", render::render),
    ("segment", render::segment),
    ("callback_twilio", callbacks::twilio),
    ("callback_telegram", callbacks::telegram),
    ("callback_whatsapp", callbacks::whatsapp),
    ("callback_mock", callbacks::mock),
    ("callback_http", callbacks::http),
    ("config", config::config),
    ("abi_answers", abi::answers),
];

/// Splits off the first line (without its `\n`) and returns it with the rest.
pub(crate) fn first_line(s: &str) -> (&str, &str) {
    s.split_once('\n').unwrap_or((s, ""))
}
