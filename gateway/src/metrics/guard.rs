//! Guards for the few labels whose values come from configuration or routing instead of
//! an enum: `route`, `adapter` (also `from`/`to`), `operator` and `rule`. A value must
//! look like a name (or, for `route`, like a route *pattern*), so a phone, an id, a code
//! or free text passed by mistake collapses to a fixed value; and each label admits a
//! bounded number of distinct values, after which new ones collapse to `other`. This
//! keeps the series count bounded even if a caller misuses the API.
//!
//! Hand-written rather than a regex: the grammar is four character classes, and this runs
//! on every request.

use std::collections::HashSet;
use std::sync::Mutex;

/// `route` value for a request that matched no route (`match_pattern()` gave `None`).
pub const UNMATCHED_ROUTE: &str = "unmatched";
/// Value used when a name or route fails validation (looks like a phone, an id, text).
pub const INVALID: &str = "invalid";
/// Value used once a label already has [`MAX_VALUES_PER_LABEL`] distinct values.
pub const OVERFLOW: &str = "other";
/// `operator` value when the destination's operator is not known.
pub const UNKNOWN_OPERATOR: &str = "unknown";
/// Longest accepted name or route pattern, in bytes.
pub const MAX_NAME_LEN: usize = 64;
/// Most distinct values one guarded label may take in one process.
pub const MAX_VALUES_PER_LABEL: usize = 128;

/// Whether `value` is an acceptable configured name (`sms-main`, `ru-megafon`,
/// `title_required_by_operator`): 1..=64 bytes of ASCII letters, digits, `_`, `-`, `.`,
/// starting with a letter. So never a phone (`+7…` or all digits), never free text.
pub fn is_name(value: &str) -> bool {
    value.len() <= MAX_NAME_LEN
        && value
            .as_bytes()
            .first()
            .is_some_and(u8::is_ascii_alphabetic)
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// Whether `value` is a route pattern as actix-web's `match_pattern()` returns it
/// (`/v1/messages/{id}`): `/`-separated segments, each a `{param}` placeholder, a
/// version segment `v<digits>`, or a static word of lowercase letters, `_`, `-`, `.`.
/// A concrete path (`/v1/messages/msg_01HX…`, `/v1/locations/42`) is refused, because
/// ids carry digits or capitals.
pub fn is_route_pattern(value: &str) -> bool {
    if value == "/" {
        return true;
    }
    let Some(rest) = value.strip_prefix('/') else {
        return false;
    };
    value.len() <= MAX_NAME_LEN && rest.split('/').all(is_route_segment)
}

fn is_route_segment(segment: &str) -> bool {
    if let Some(param) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
        return param.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
            && param
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    }
    if let Some(version) = segment.strip_prefix('v')
        && !version.is_empty()
        && version.bytes().all(|b| b.is_ascii_digit())
    {
        return true;
    }
    segment
        .as_bytes()
        .first()
        .is_some_and(u8::is_ascii_lowercase)
        && segment
            .bytes()
            .all(|b| b.is_ascii_lowercase() || matches!(b, b'_' | b'-' | b'.'))
}

/// The distinct values one guarded label has taken so far, capped.
#[derive(Debug)]
pub(crate) struct ValueSet {
    /// Values admitted so far; grows to at most `max` entries.
    seen: Mutex<HashSet<String>>,
    /// The cap.
    max: usize,
}

impl ValueSet {
    /// A set that admits at most `max` distinct values.
    pub(crate) fn new(max: usize) -> Self {
        Self {
            seen: Mutex::new(HashSet::new()),
            max,
        }
    }

    /// `value` if it was seen before or there is room for it, else [`OVERFLOW`].
    pub(crate) fn admit<'a>(&self, value: &'a str) -> &'a str {
        // A poisoned lock only means another thread panicked mid-insert; the set is
        // still a valid set, so keep counting.
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.contains(value) {
            return value;
        }
        if seen.len() >= self.max {
            return OVERFLOW;
        }
        seen.insert(value.to_owned());
        value
    }

    /// A validated, admitted name label value.
    pub(crate) fn name<'a>(&self, value: &'a str) -> &'a str {
        if is_name(value) {
            self.admit(value)
        } else {
            INVALID
        }
    }

    /// A validated, admitted route label value.
    pub(crate) fn route<'a>(&self, pattern: Option<&'a str>) -> &'a str {
        match pattern {
            None => UNMATCHED_ROUTE,
            Some(p) if is_route_pattern(p) => self.admit(p),
            Some(_) => INVALID,
        }
    }
}
