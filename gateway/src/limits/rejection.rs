//! What a refused request looks like: [`LimitRejection`] names the limit (for metrics and
//! for the caller's `code`), the HTTP status and when to retry, and turns into the
//! problem+json [`ApiError`] handlers return.

use crate::error::{ApiError, ErrorCode};
use crate::metrics::LimitKind;
use actix_web::http::StatusCode;

/// A refusal: which limit, status, when to retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitRejection {
    /// The limit for `gateway_rate_limited_total{limit}`; `None` for geo and operator
    /// blocks, which are policy rather than rate.
    pub kind: Option<LimitKind>,
    /// Stable problem `code` (`phone_hourly_limit`, `country_blocked`, …); its status
    /// is `429` for limits, `403` for blocks.
    pub code: ErrorCode,
    /// Whole seconds (rounded up, at least 1) after which the same request can succeed;
    /// `None` when waiting will not help.
    pub retry_after_secs: Option<u64>,
    /// What happened and what the caller should do.
    pub detail: String,
}

/// Milliseconds to whole seconds, rounded up, at least 1: retrying after a rounded-down
/// value would be refused again.
pub fn secs_ceil(ms: i64) -> u64 {
    let ms = u64::try_from(ms).unwrap_or(0);
    ms.div_ceil(1000).max(1)
}

impl LimitRejection {
    /// A `429` for a used-up limit.
    pub(crate) fn too_many(
        kind: LimitKind,
        code: ErrorCode,
        retry_after_secs: Option<u64>,
        detail: String,
    ) -> Self {
        Self {
            kind: Some(kind),
            code,
            retry_after_secs,
            detail,
        }
    }

    /// `403 country_blocked`: the gateway does not send to this region (`None`: unknown).
    pub fn country_blocked(region: Option<&str>) -> Self {
        let detail = match region {
            Some(r) => format!(
                "This gateway does not send to numbers in region {r} (limits.allowed_countries / limits.denied_countries); ask the user for a number in another country."
            ),
            None => "The region of this number could not be determined and this gateway only sends to the regions in limits.allowed_countries; ask the user for another number.".to_owned(),
        };
        Self {
            kind: None,
            code: ErrorCode::CountryBlocked,
            retry_after_secs: None,
            detail,
        }
    }

    /// `403 operator_blocked`: the gateway operator blocked this mobile operator.
    pub fn operator_blocked(operator_id: &str) -> Self {
        Self {
            kind: None,
            code: ErrorCode::OperatorBlocked,
            retry_after_secs: None,
            detail: format!(
                "Sending to numbers of mobile operator `{operator_id}` is blocked on this gateway; ask the user for a number on another operator."
            ),
        }
    }

    /// `429 max_send_attempts`: this verification has sent all the codes it may;
    /// a new one can start after `retry_after_secs` (when this one expires).
    pub fn max_send_attempts(retry_after_secs: u64) -> Self {
        let secs = retry_after_secs.max(1);
        Self::too_many(
            LimitKind::VerificationSends,
            ErrorCode::MaxSendAttempts,
            Some(secs),
            format!(
                "This verification has already sent as many codes as allowed; ask the user to enter a code already sent, or start a new verification in {secs} s."
            ),
        )
    }

    /// `429 max_check_attempts`: wrong codes used up the attempts; the verification
    /// failed. `retry_after_secs`: when a new verification for the phone can start.
    pub fn max_check_attempts(retry_after_secs: u64) -> Self {
        let secs = retry_after_secs.max(1);
        Self::too_many(
            LimitKind::VerificationChecks,
            ErrorCode::MaxCheckAttempts,
            Some(secs),
            format!(
                "The code was entered wrongly too many times and this verification has failed; start a new verification in {secs} s to send a new code."
            ),
        )
    }

    /// The HTTP status: the code's.
    pub fn status(&self) -> StatusCode {
        self.code.status()
    }
}

impl From<LimitRejection> for ApiError {
    fn from(r: LimitRejection) -> Self {
        let err = ApiError::new(r.code, r.detail);
        match r.retry_after_secs {
            Some(secs) => err.with("retry_after", secs.max(1)),
            None => err,
        }
    }
}
