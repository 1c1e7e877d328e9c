//! Closed sets of label values. Every label that can be an enum is one, so a metric
//! label can never carry a phone, an id, a code or free text: callers pick a variant,
//! and `as_str` gives the fixed, snake_case value that dashboards and alerts match on.

use gateway_sdk::AdapterError;

/// Declares a label enum with its `as_str`, `ALL` list and `Display`.
macro_rules! label_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $value:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every variant, in declaration order (for docs, tests and pre-seeding).
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The label value exported to Prometheus.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $value),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

label_enum! {
    /// Result of one send attempt on one adapter (`gateway_messages_total{outcome}`).
    MessageOutcome {
        /// The provider accepted the message.
        Sent => "sent",
        /// A transient, credential, configuration or internal failure.
        Failed => "failed",
        /// The provider account cannot send (no funds, blocked): an operator must act.
        Account => "account",
        /// The provider refused the recipient or message for good.
        Rejected => "rejected",
        /// This channel cannot reach this phone.
        Unreachable => "unreachable",
        /// The provider (or our own per-adapter throughput limit) throttled the send.
        Throttled => "throttled",
        /// The send did not complete before its deadline.
        Timeout => "timeout",
    }
}

impl MessageOutcome {
    /// The outcome an adapter error counts as.
    pub fn from_error(error: &AdapterError) -> Self {
        match error {
            AdapterError::Rejected { .. } => Self::Rejected,
            AdapterError::Unreachable { .. } => Self::Unreachable,
            AdapterError::Throttled { .. } => Self::Throttled,
            AdapterError::Timeout { .. } => Self::Timeout,
            AdapterError::Account { .. } => Self::Account,
            AdapterError::Transient { .. }
            | AdapterError::Auth { .. }
            | AdapterError::Config { .. }
            | AdapterError::Internal { .. } => Self::Failed,
        }
    }
}

label_enum! {
    /// What happened to a verification (`gateway_verifications_total{outcome}`).
    VerificationOutcome {
        /// A new verification was created and its code sent.
        Started => "started",
        /// The same code was sent again on a pending verification.
        Resent => "resent",
        /// The right code was checked.
        Approved => "approved",
        /// Check attempts were used up, or sending failed.
        Failed => "failed",
        /// It expired before being approved.
        Expired => "expired",
        /// The platform cancelled it (`DELETE`).
        Cancelled => "cancelled",
    }
}

label_enum! {
    /// Result of one code check (`gateway_verification_checks_total{result}`).
    CheckResult {
        /// The code was right.
        Approved => "approved",
        /// The code was wrong; attempts remain.
        WrongCode => "wrong_code",
        /// The verification had expired.
        Expired => "expired",
        /// Attempts were already used up.
        MaxAttempts => "max_attempts",
    }
}

label_enum! {
    /// Why a confirmation is requested (`purpose` in the API).
    Purpose {
        /// Sign-in to the client's personal account.
        Login => "login",
        /// Phone confirmation when an appointment is created.
        Booking => "booking",
    }
}

label_enum! {
    /// How the rendered SMS text is encoded (`gateway_message_encoding_total{encoding}`).
    Encoding {
        /// GSM 03.38 7-bit default alphabet.
        Gsm7 => "gsm7",
        /// UCS-2 (UTF-16 units), for text outside GSM-7.
        Ucs2 => "ucs2",
    }
}

label_enum! {
    /// Which limit rejected or delayed a request (`gateway_rate_limited_total{limit}`).
    LimitKind {
        /// Resend cooldown per phone.
        ResendCooldown => "resend_cooldown",
        /// Sends per phone per hour.
        PhoneHour => "phone_hour",
        /// Sends per phone per day.
        PhoneDay => "phone_day",
        /// Sends per client IP per hour.
        IpHour => "ip_hour",
        /// Sends per location per minute.
        LocationMinute => "location_minute",
        /// Sends per destination prefix per hour (toll-fraud / SMS-pumping guard).
        Prefix => "prefix",
        /// Sends per verification.
        VerificationSends => "verification_sends",
        /// Checks per verification.
        VerificationChecks => "verification_checks",
        /// Throughput per adapter instance (token bucket).
        AdapterThroughput => "adapter_throughput",
        /// Throughput per operator (token bucket).
        OperatorThroughput => "operator_throughput",
    }
}

label_enum! {
    /// HTTP method, collapsed to the methods the API uses (`other` for the rest).
    HttpMethod {
        /// `GET`.
        Get => "GET",
        /// `POST`.
        Post => "POST",
        /// `PUT`.
        Put => "PUT",
        /// `DELETE`.
        Delete => "DELETE",
        /// `PATCH`.
        Patch => "PATCH",
        /// `HEAD`.
        Head => "HEAD",
        /// `OPTIONS`.
        Options => "OPTIONS",
        /// Anything else (never the raw method text).
        Other => "other",
    }
}

impl HttpMethod {
    /// Maps a method name (`actix_web::http::Method::as_str()`) to a bounded value.
    pub fn parse(method: &str) -> Self {
        match method {
            "GET" => Self::Get,
            "POST" => Self::Post,
            "PUT" => Self::Put,
            "DELETE" => Self::Delete,
            "PATCH" => Self::Patch,
            "HEAD" => Self::Head,
            "OPTIONS" => Self::Options,
            _ => Self::Other,
        }
    }
}
