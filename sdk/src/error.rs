//! Error kinds an adapter returns. Each variant tells the gateway what to do next,
//! so adapters map their provider's errors onto these and never decide routing.

use serde::{Deserialize, Serialize};

/// Why a send (or a reachability check, or adapter creation) failed.
///
/// The gateway routes on the variant: `Unreachable`, `Transient`, `Throttled` and
/// `Timeout` move on to the location's next channel; `Rejected` stops (the recipient
/// or message is refused for good); `Auth`, `Account` and `Config` mark the adapter
/// unhealthy and move on too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AdapterError {
    /// Permanent refusal for this recipient or message: do not retry anywhere.
    #[error("rejected by provider: {message}")]
    Rejected {
        /// Provider's reason, safe to show to operators (no secrets, no code).
        message: String,
        /// Provider's own error code, when it has one (e.g. Twilio `21211`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        provider_code: Option<String>,
    },
    /// This channel cannot reach this phone (no Telegram account, not on WhatsApp,
    /// no route to the destination): try the next channel.
    #[error("unreachable on this channel: {message}")]
    Unreachable {
        /// Why the phone cannot be reached here.
        message: String,
        /// Provider's own error code, when it has one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        provider_code: Option<String>,
    },
    /// A temporary failure (5xx, connection reset): another channel may succeed now,
    /// this one may succeed later.
    #[error("transient provider failure: {message}")]
    Transient {
        /// What went wrong.
        message: String,
        /// When the provider suggests trying again, in milliseconds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_ms: Option<u64>,
    },
    /// The provider throttled us (HTTP 429 or an equivalent error code).
    #[error("throttled by provider: {message}")]
    Throttled {
        /// What the provider said.
        message: String,
        /// When the provider allows the next request, in milliseconds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_ms: Option<u64>,
    },
    /// Credentials were refused: the instance needs an operator's attention.
    #[error("provider refused the credentials: {message}")]
    Auth {
        /// What the provider said.
        message: String,
    },
    /// The provider account cannot send: no funds left, account blocked or suspended,
    /// plan limit reached. Nothing is wrong with the message or the configuration; an
    /// operator must settle the account. Marks the instance down like `Auth`.
    #[error("provider account cannot send: {message}")]
    Account {
        /// What the provider said (e.g. "insufficient funds").
        message: String,
        /// Provider's own error code, when it has one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        provider_code: Option<String>,
    },
    /// The instance's configuration is invalid.
    #[error("invalid adapter configuration: {message}")]
    Config {
        /// Which setting is wrong and what is allowed.
        message: String,
    },
    /// The call did not complete before its deadline. Set by the host, or by an
    /// adapter whose own HTTP client timed out.
    #[error("timed out: {message}")]
    Timeout {
        /// What timed out.
        message: String,
    },
    /// The adapter itself failed (a panic, a broken completion, undecodable output).
    /// Produced by the boundary, not by adapter authors.
    #[error("adapter failure: {message}")]
    Internal {
        /// What broke.
        message: String,
    },
}

impl AdapterError {
    /// Whether the gateway should move on to the next channel after this error.
    pub fn try_next_channel(&self) -> bool {
        matches!(
            self,
            Self::Unreachable { .. }
                | Self::Transient { .. }
                | Self::Throttled { .. }
                | Self::Timeout { .. }
                | Self::Internal { .. }
                | Self::Auth { .. }
                | Self::Account { .. }
                | Self::Config { .. }
        )
    }

    /// Whether the instance itself needs an operator (refused credentials, an account
    /// that cannot pay, a wrong setting): [`HealthTracker`](crate::HealthTracker) reports
    /// it down until a send succeeds again, and the gateway marks it down in metrics.
    pub fn needs_operator(&self) -> bool {
        matches!(
            self,
            Self::Auth { .. } | Self::Account { .. } | Self::Config { .. }
        )
    }

    /// A short, stable, snake_case name of the variant, used as a metric label value.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Rejected { .. } => "rejected",
            Self::Unreachable { .. } => "unreachable",
            Self::Transient { .. } => "transient",
            Self::Throttled { .. } => "throttled",
            Self::Auth { .. } => "auth",
            Self::Account { .. } => "account",
            Self::Config { .. } => "config",
            Self::Timeout { .. } => "timeout",
            Self::Internal { .. } => "internal",
        }
    }

    /// Shorthand for a [`AdapterError::Rejected`] without a provider code.
    pub fn rejected(message: impl Into<String>) -> Self {
        Self::Rejected {
            message: message.into(),
            provider_code: None,
        }
    }

    /// Shorthand for a [`AdapterError::Unreachable`] without a provider code.
    pub fn unreachable(message: impl Into<String>) -> Self {
        Self::Unreachable {
            message: message.into(),
            provider_code: None,
        }
    }

    /// Shorthand for a [`AdapterError::Transient`] without a retry hint.
    pub fn transient(message: impl Into<String>) -> Self {
        Self::Transient {
            message: message.into(),
            retry_after_ms: None,
        }
    }

    /// Shorthand for a [`AdapterError::Account`] without a provider code.
    pub fn account(message: impl Into<String>) -> Self {
        Self::Account {
            message: message.into(),
            provider_code: None,
        }
    }

    /// Every value [`AdapterError::kind`] returns, for checking a kind named in a test.
    pub const KINDS: [&'static str; 9] = [
        "rejected",
        "unreachable",
        "transient",
        "throttled",
        "auth",
        "account",
        "config",
        "timeout",
        "internal",
    ];

    /// Shorthand for a [`AdapterError::Config`].
    pub fn config(message: impl Into<String>) -> Self {
        Self::Config {
            message: message.into(),
        }
    }
}

/// Why a provider callback (delivery report, webhook handshake) was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CallbackError {
    /// The provider's signature is missing, stale or wrong: answer 401/403.
    #[error("callback signature rejected: {message}")]
    Signature {
        /// What was wrong (never echoes the expected signature).
        message: String,
    },
    /// The payload cannot be parsed: answer 400.
    #[error("malformed callback: {message}")]
    Malformed {
        /// What could not be parsed.
        message: String,
    },
    /// This adapter does not accept callbacks.
    #[error("this adapter does not accept callbacks")]
    Unsupported,
    /// The adapter failed while parsing (set by the boundary on a panic).
    #[error("adapter failure: {message}")]
    Internal {
        /// What broke.
        message: String,
    },
}

/// Milliseconds to wait, from an HTTP `Retry-After` value: delay-seconds (`"120"`) or an
/// HTTP-date (`"Wed, 21 Oct 2026 07:28:00 GMT"`, counted from now; a date already past
/// is `0`), as RFC 9110 §10.2.3 allows both. `None` for anything else. Never panics,
/// however large the number. For [`AdapterError::Throttled`]'s `retry_after_ms`.
pub fn retry_after_ms(value: &str) -> Option<u64> {
    retry_after_ms_at(value, std::time::SystemTime::now())
}

/// [`retry_after_ms`] as of `now`.
pub fn retry_after_ms_at(value: &str, now: std::time::SystemTime) -> Option<u64> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(secs.saturating_mul(1000));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    let wait = at.duration_since(now).unwrap_or_default();
    Some(u64::try_from(wait.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod retry_after_tests {
    use super::*;
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    #[test]
    fn delay_seconds_and_http_dates() {
        // 2026-10-21T07:28:00Z
        let now = UNIX_EPOCH + Duration::from_secs(1_792_567_680);
        assert_eq!(retry_after_ms_at("120", now), Some(120_000));
        assert_eq!(retry_after_ms_at(" 0 ", now), Some(0));
        assert_eq!(
            retry_after_ms_at("18446744073709551615", now),
            Some(u64::MAX)
        );
        assert_eq!(
            retry_after_ms_at("Wed, 21 Oct 2026 07:28:30 GMT", now),
            Some(30_000)
        );
        assert_eq!(
            retry_after_ms_at("Wed, 21 Oct 2026 07:27:00 GMT", now),
            Some(0)
        );
        for bad in ["", "-5", "1.5", "soon", "Wed, 99 Oct 2026 07:28:00 GMT"] {
            assert_eq!(retry_after_ms_at(bad, now), None, "{bad:?}");
        }
        let later = SystemTime::now() + Duration::from_secs(3600);
        let header = httpdate::fmt_http_date(later);
        let ms = retry_after_ms(&header).unwrap();
        assert!((3_590_000..=3_600_000).contains(&ms), "{ms}");
    }
}
