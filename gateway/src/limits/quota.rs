//! The quotas on the send path: one [`Store::quota_acquire`] call checks and counts the
//! resend cooldown, the phone's hourly and daily budgets, the client IP's and the
//! location's budgets and the risky-prefix budget together, so a refusal by any of them
//! counts nothing anywhere.

use super::Limits;
use super::rejection::{LimitRejection, secs_ceil};
use crate::error::ErrorCode;
use crate::metrics::LimitKind;
use crate::secret::{QuotaKind, StoreKeys};
use crate::store::{Millis, QuotaCheck, Store, StoreError};
use std::net::IpAddr;

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;
const DAY_MS: i64 = 24 * HOUR_MS;

/// Who and what one send is for; the dimensions quotas are counted in.
#[derive(Clone, Copy)]
pub struct SendSubject<'a> {
    /// Destination in E.164 (`+79991234567`).
    pub phone_e164: &'a str,
    /// The destination's ISO region (`RU`), if known.
    pub region: Option<&'a str>,
    /// The end client's address as the widget saw it, if the platform passed it.
    pub client_ip: Option<IpAddr>,
    /// The location the send is for.
    pub location_id: &'a str,
}

impl std::fmt::Debug for SendSubject<'_> {
    // Hand-written so that a stray `{:?}` can never log a full phone number.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SendSubject")
            .field("phone_e164", &"***")
            .field("region", &self.region)
            .field("client_ip", &self.client_ip.map(|_| "***"))
            .field("location_id", &self.location_id)
            .finish()
    }
}

/// What [`Limits::admit_send`] counted, to give back with [`Limits::refund_send`]
/// without hashing the keys again.
#[derive(Debug)]
pub struct Admitted {
    /// The checks counted (none for a test number).
    checks: Vec<QuotaCheck>,
}

/// Which limit a [`QuotaCheck`] stands for, to explain a denial.
#[derive(Debug, Clone, Copy)]
enum Reason<'a> {
    Cooldown,
    PhoneHour,
    PhoneDay,
    Ip,
    Ip48,
    Location,
    Prefix(&'a str),
}

/// The /48 an IPv6 address belongs to (`None` for IPv4 and IPv4-mapped IPv6): a site's
/// usual allocation, counted as well so rotating through its /64s does not escape.
pub(crate) fn ipv6_48_key(ip: IpAddr) -> Option<String> {
    match ip {
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            Some(format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2]))
        }
        _ => None,
    }
}

/// The key an IP is counted under: IPv4 (also IPv4-mapped IPv6) as is, IPv6 by its /64,
/// since one end user usually holds a whole /64 and could rotate through it.
pub(crate) fn ip_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

impl Limits {
    /// The longest configured risky prefix `phone` starts with.
    pub(crate) fn risky_prefix(&self, phone: &str) -> Option<(&str, u32)> {
        // `prefixes` is sorted longest first, so the first match is the longest.
        self.prefixes
            .iter()
            .find(|p| phone.starts_with(p.prefix.as_str()))
            .map(|p| (p.prefix.as_str(), p.per_hour))
    }

    /// The checks for one send, in the order a denial is reported. Their keys are
    /// keyed hashes (`q:phone:…`, see `secret/keys.rs`), each computed once, here on
    /// the request's thread: the store never sees a phone or an IP.
    fn checks<'a>(
        &'a self,
        keys: &StoreKeys,
        s: &SendSubject<'_>,
    ) -> Vec<(QuotaCheck, Reason<'a>)> {
        let c = &self.cfg;
        let phone = s.phone_e164;
        let check = |key: String, window_ms: i64, limit: u32| QuotaCheck {
            key,
            window_ms,
            limit,
        };
        let cooldown_ms = i64::try_from(c.resend_cooldown.as_millis()).unwrap_or(i64::MAX);
        // The cooldown and the hourly and daily budgets count the same events (sends to
        // this phone), so they share one key: one event row per send instead of three.
        let phone_key = keys.quota(QuotaKind::Phone, phone);
        let mut out = vec![
            (check(phone_key.clone(), cooldown_ms, 1), Reason::Cooldown),
            (
                check(phone_key.clone(), HOUR_MS, c.phone_per_hour),
                Reason::PhoneHour,
            ),
            (check(phone_key, DAY_MS, c.phone_per_day), Reason::PhoneDay),
        ];
        if let Some(ip) = s.client_ip {
            out.push((
                check(
                    keys.quota(QuotaKind::Ip, &ip_key(ip)),
                    HOUR_MS,
                    c.ip_per_hour,
                ),
                Reason::Ip,
            ));
            if let Some(net) = ipv6_48_key(ip) {
                out.push((
                    check(
                        keys.quota(QuotaKind::Ip48, &net),
                        HOUR_MS,
                        c.ipv6_48_per_hour,
                    ),
                    Reason::Ip48,
                ));
            }
        }
        out.push((
            check(
                keys.quota(QuotaKind::Location, s.location_id),
                MINUTE_MS,
                c.location_per_minute,
            ),
            Reason::Location,
        ));
        if let Some((prefix, per_hour)) = self.risky_prefix(phone) {
            out.push((
                check(keys.quota(QuotaKind::Prefix, prefix), HOUR_MS, per_hour),
                Reason::Prefix(prefix),
            ));
        }
        out
    }

    /// Quotas for one send: resend cooldown per phone, phone/hour, phone/day, client
    /// IP/hour (if given), location/minute, risky prefix/hour (if the phone matches
    /// one). Test numbers bypass all quotas. All-or-nothing via
    /// [`Store::quota_acquire`]: on `Ok(Err(_))` nothing was counted. `keys` hash the
    /// counters' keys (the server secret's [`StoreKeys`]).
    pub async fn admit_send(
        &self,
        store: &dyn Store,
        keys: &StoreKeys,
        subject: &SendSubject<'_>,
        now: Millis,
    ) -> Result<Result<Admitted, LimitRejection>, StoreError> {
        if self.is_test_number(subject.phone_e164) {
            tracing::debug!(
                location = subject.location_id,
                "test number: quotas bypassed"
            );
            return Ok(Ok(Admitted { checks: Vec::new() }));
        }
        let checks = self.checks(keys, subject);
        let quota: Vec<QuotaCheck> = checks.iter().map(|(c, _)| c.clone()).collect();
        let denied = match store.quota_acquire(&quota, now).await? {
            Ok(()) => return Ok(Ok(Admitted { checks: quota })),
            Err(denied) => denied,
        };
        let Some((check, reason)) = checks.get(denied.index) else {
            return Err(StoreError::Backend(format!(
                "quota_acquire reported check {} of {}",
                denied.index,
                checks.len()
            )));
        };
        let rejection = self.reject(*reason, check.limit, secs_ceil(denied.retry_after_ms));
        tracing::info!(
            location = subject.location_id,
            limit = rejection.code.as_str(),
            retry_after_secs = rejection.retry_after_secs,
            "send refused by a rate limit"
        );
        Ok(Err(rejection))
    }

    /// Gives back what [`Limits::admit_send`] counted at `admitted_at` (a send no
    /// provider accepted). Test numbers counted nothing.
    pub async fn refund_send(
        &self,
        store: &dyn Store,
        admitted: &Admitted,
        location_id: &str,
        admitted_at: Millis,
    ) -> Result<(), StoreError> {
        if admitted.checks.is_empty() {
            return Ok(());
        }
        store.quota_release(&admitted.checks, admitted_at).await?;
        tracing::info!(
            location = location_id,
            "no provider accepted the send: its quota was given back"
        );
        Ok(())
    }

    /// The rejection for a used-up check.
    fn reject(&self, reason: Reason<'_>, limit: u32, secs: u64) -> LimitRejection {
        let (kind, code, detail) = match reason {
            Reason::Cooldown => (
                LimitKind::ResendCooldown,
                ErrorCode::ResendCooldown,
                format!(
                    "A message was sent to this phone less than {} ago; wait {secs} s before requesting another.",
                    humantime::format_duration(self.cfg.resend_cooldown)
                ),
            ),
            Reason::PhoneHour => (
                LimitKind::PhoneHour,
                ErrorCode::PhoneHourlyLimit,
                format!(
                    "This phone already received {limit} messages in the last hour; retry in {secs} s."
                ),
            ),
            Reason::PhoneDay => (
                LimitKind::PhoneDay,
                ErrorCode::PhoneDailyLimit,
                format!(
                    "This phone already received {limit} messages in the last 24 hours; retry in {secs} s."
                ),
            ),
            Reason::Ip => (
                LimitKind::IpHour,
                ErrorCode::IpLimit,
                format!(
                    "This client IP asked for {limit} messages in the last hour; retry in {secs} s. Pass the end user's address as client_ip, not your server's."
                ),
            ),
            Reason::Ip48 => (
                LimitKind::IpHour,
                ErrorCode::IpLimit,
                format!(
                    "Clients of this IPv6 /48 network asked for {limit} messages in the last hour; retry in {secs} s. Pass the end user's address as client_ip, not your server's."
                ),
            ),
            Reason::Location => (
                LimitKind::LocationMinute,
                ErrorCode::LocationLimit,
                format!(
                    "This location sent {limit} messages in the last minute; retry in {secs} s."
                ),
            ),
            Reason::Prefix(prefix) => (
                LimitKind::Prefix,
                ErrorCode::PrefixLimit,
                format!(
                    "Numbers starting with {prefix} may receive {limit} messages per hour in total (toll-fraud guard); retry in {secs} s, or ask the gateway operator to raise limits.prefixes."
                ),
            ),
        };
        LimitRejection::too_many(kind, code, Some(secs), detail)
    }
}
