//! Every problem `code` the API answers with, in one list: its HTTP status, its title
//! and the stable snake_case name callers branch on. `docs/api.md`'s error table is
//! checked against [`ErrorCode::ALL`] by a test, so the two cannot drift apart.

use actix_web::http::StatusCode;

/// Declares the enum, its table and `ALL` from one list.
macro_rules! codes {
    ($($variant:ident = ($status:ident, $code:literal, $title:literal),)+) => {
        /// A stable problem code. See the module docs.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $(
                #[doc = concat!("`", $code, "`: ", $title, ".")]
                $variant,
            )+
        }

        impl ErrorCode {
            /// Every code, in the order of the table.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),+];

            /// The snake_case name in problem bodies (`code`, and the end of `type`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)+
                }
            }

            /// The HTTP status this code is answered with.
            pub fn status(self) -> StatusCode {
                match self {
                    $(ErrorCode::$variant => StatusCode::$status,)+
                }
            }

            /// The short, human title of the problem kind.
            pub fn title(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $title,)+
                }
            }
        }
    };
}

codes! {
    BadRequest = (BAD_REQUEST, "bad_request", "Bad request"),
    InvalidJson = (BAD_REQUEST, "invalid_json", "Invalid JSON body"),
    InvalidPhone = (BAD_REQUEST, "invalid_phone", "Invalid phone number"),
    InvalidLocationId = (BAD_REQUEST, "invalid_location_id", "Invalid location id"),
    InvalidIdempotencyKey = (BAD_REQUEST, "invalid_idempotency_key", "Invalid Idempotency-Key"),
    MalformedCallback = (BAD_REQUEST, "malformed_callback", "Malformed callback"),
    Unauthorized = (UNAUTHORIZED, "unauthorized", "Missing or invalid API key"),
    InvalidSignature = (UNAUTHORIZED, "invalid_signature", "Callback signature refused"),
    CountryBlocked = (FORBIDDEN, "country_blocked", "Destination country blocked"),
    OperatorBlocked = (FORBIDDEN, "operator_blocked", "Destination operator blocked"),
    NotFound = (NOT_FOUND, "not_found", "No such endpoint"),
    LocationNotFound = (NOT_FOUND, "location_not_found", "Location not found"),
    MessageNotFound = (NOT_FOUND, "message_not_found", "Message not found"),
    VerificationNotFound = (NOT_FOUND, "verification_not_found", "Verification not found"),
    AdapterNotFound = (NOT_FOUND, "adapter_not_found", "Unknown adapter instance"),
    CallbacksNotSupported = (NOT_FOUND, "callbacks_not_supported", "Callbacks not supported"),
    MethodNotAllowed = (METHOD_NOT_ALLOWED, "method_not_allowed", "Method not allowed"),
    NotificationDisabled = (CONFLICT, "notification_disabled", "Phone confirmation is disabled"),
    ConfirmationNotRequired = (CONFLICT, "confirmation_not_required", "Booking confirmation is not required"),
    VerificationInProgress = (CONFLICT, "verification_in_progress", "Verification being started"),
    IdempotencyInProgress = (CONFLICT, "idempotency_in_progress", "Request with this key still running"),
    IdempotencyRetry = (CONFLICT, "idempotency_retry", "First attempt failed"),
    TokenConsumed = (CONFLICT, "token_consumed", "Token already used"),
    VerificationExpired = (GONE, "verification_expired", "Verification expired"),
    PayloadTooLarge = (PAYLOAD_TOO_LARGE, "payload_too_large", "Request body too large"),
    UnsupportedMediaType = (UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "Unsupported media type"),
    ValidationFailed = (UNPROCESSABLE_ENTITY, "validation_failed", "A field is invalid"),
    UnknownChannel = (UNPROCESSABLE_ENTITY, "unknown_channel", "Unknown channel"),
    CustomTemplateNotAvailable = (UNPROCESSABLE_ENTITY, "custom_template_not_available", "Custom templates are not available"),
    MessageTooLong = (UNPROCESSABLE_ENTITY, "message_too_long", "Message cannot fit one SMS"),
    RenderFailed = (UNPROCESSABLE_ENTITY, "render_failed", "Message cannot be rendered"),
    TokenPurposeMismatch = (UNPROCESSABLE_ENTITY, "token_purpose_mismatch", "Token for another purpose"),
    TokenLocationMismatch = (UNPROCESSABLE_ENTITY, "token_location_mismatch", "Token for another location"),
    IdempotencyKeyReused = (UNPROCESSABLE_ENTITY, "idempotency_key_reused", "Idempotency-Key reused with another request"),
    ResendCooldown = (TOO_MANY_REQUESTS, "resend_cooldown", "Too soon to send another code"),
    PhoneHourlyLimit = (TOO_MANY_REQUESTS, "phone_hourly_limit", "Hourly limit for this phone reached"),
    PhoneDailyLimit = (TOO_MANY_REQUESTS, "phone_daily_limit", "Daily limit for this phone reached"),
    IpLimit = (TOO_MANY_REQUESTS, "ip_limit", "Limit for this client IP reached"),
    LocationLimit = (TOO_MANY_REQUESTS, "location_limit", "Limit for this location reached"),
    PrefixLimit = (TOO_MANY_REQUESTS, "prefix_limit", "Limit for this destination prefix reached"),
    MaxSendAttempts = (TOO_MANY_REQUESTS, "max_send_attempts", "Verification send limit reached"),
    MaxCheckAttempts = (TOO_MANY_REQUESTS, "max_check_attempts", "Verification check attempts used up"),
    InternalError = (INTERNAL_SERVER_ERROR, "internal_error", "Internal error"),
    ProviderFailed = (BAD_GATEWAY, "provider_failed", "No provider accepted the message"),
    ProviderTimeout = (GATEWAY_TIMEOUT, "provider_timeout", "No provider answered in time"),
    ProviderThrottled = (SERVICE_UNAVAILABLE, "provider_throttled", "Every channel is at its throughput limit"),
    NoProvider = (SERVICE_UNAVAILABLE, "no_provider", "No provider can send this code"),
    NotReady = (SERVICE_UNAVAILABLE, "not_ready", "Not ready"),
    StoreUnavailable = (SERVICE_UNAVAILABLE, "store_unavailable", "Storage unavailable"),
    RequestTimeout = (REQUEST_TIMEOUT, "request_timeout", "Request too slow"),
    HeadersTooLarge = (REQUEST_HEADER_FIELDS_TOO_LARGE, "headers_too_large", "Request head too large"),
    ShuttingDown = (SERVICE_UNAVAILABLE, "shutting_down", "Shutting down"),
    ConnectionNotAllowed = (UNPROCESSABLE_ENTITY, "connection_not_allowed", "Connection belongs to another location"),
    ConnectionNotFound = (NOT_FOUND, "connection_not_found", "Connection not found"),
    ConnectionInUse = (CONFLICT, "connection_in_use", "Connection in use"),
    ConnectionChanged = (CONFLICT, "connection_changed", "Connection changed meanwhile"),
    ConnectionUnusable = (CONFLICT, "connection_unusable", "Connection unusable"),
    ConnectionUnavailable = (SERVICE_UNAVAILABLE, "connection_unavailable", "Connection cannot be used now"),
    UnknownAdapterKind = (UNPROCESSABLE_ENTITY, "unknown_adapter_kind", "Unknown adapter kind"),
    InvalidSettings = (UNPROCESSABLE_ENTITY, "invalid_settings", "The adapter refused the settings"),
    SecretsNotConfigured = (SERVICE_UNAVAILABLE, "secrets_not_configured", "Secrets cannot be stored"),
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Lets tests and logs compare a code with its name.
impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// `code` → status from the error table of docs/api.md (a row may list several).
    fn documented() -> BTreeMap<String, u16> {
        let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/api.md"))
            .expect("read docs/api.md");
        let table = doc
            .split("| Status | `code` |")
            .nth(1)
            .expect("docs/api.md has the error table");
        let mut out = BTreeMap::new();
        for row in table.lines().skip(2) {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            if cells.len() < 3 || !row.starts_with('|') {
                break;
            }
            let status: u16 = cells[1].parse().expect("a status in the first column");
            for code in cells[2].split(',') {
                let code = code.trim().trim_matches('`');
                assert!(!code.is_empty(), "empty code in row `{row}`");
                assert!(
                    out.insert(code.to_owned(), status).is_none(),
                    "`{code}` twice in the doc"
                );
            }
        }
        out
    }

    #[test]
    fn the_docs_error_table_lists_exactly_the_codes_with_their_statuses() {
        let doc = documented();
        let code: BTreeMap<String, u16> = ErrorCode::ALL
            .iter()
            .map(|c| (c.as_str().to_owned(), c.status().as_u16()))
            .collect();
        let missing: Vec<_> = code.keys().filter(|c| !doc.contains_key(*c)).collect();
        let unknown: Vec<_> = doc.keys().filter(|c| !code.contains_key(*c)).collect();
        assert!(
            missing.is_empty(),
            "codes missing from docs/api.md: {missing:?}"
        );
        assert!(
            unknown.is_empty(),
            "docs/api.md lists codes the gateway never answers: {unknown:?}"
        );
        assert_eq!(
            doc, code,
            "statuses differ between docs/api.md and ErrorCode"
        );
    }

    #[test]
    fn names_are_unique_snake_case() {
        let mut seen = std::collections::BTreeSet::new();
        for c in ErrorCode::ALL {
            assert!(seen.insert(c.as_str()), "{c} twice");
            assert!(
                c.as_str()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{c}"
            );
        }
    }
}
