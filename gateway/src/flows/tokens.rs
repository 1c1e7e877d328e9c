//! Confirmation tokens: proof that a phone was confirmed for a location and purpose.
//!
//! A token is a JWT (HS256, via the maintained `jsonwebtoken` crate) signed with a key
//! derived from the server secret. Expiry is checked against the gateway's clock, not
//! the library's, so it follows the same time as everything else. Consumption is a
//! `put_if_absent` of the token id, so a `booking` token confirms one appointment even
//! under concurrent introspection.
//!
//! The payload is readable by whoever holds the token (it passes through browsers), so
//! it names the verification and carries no phone: introspection reads the phone from
//! the approved verification, which is kept as long as its token lives. A signature
//! alone is not trusted either: a token whose lifetime exceeds `token_ttl`, or whose
//! verification was never approved here, is refused (one signed with a leaked or
//! guessed key names no real verification).

use super::Purpose;
use super::verifications::{self, Status};
use crate::clock::rfc3339;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use crate::store::{Millis, Ns, Store, StoreError};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// What a token carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Unique token id (used to consume it).
    pub jti: String,
    /// The verification that was approved.
    pub vid: String,
    /// Location id.
    pub loc: String,
    /// What the confirmation is for.
    pub purpose: Purpose,
    /// When the code was confirmed (unix seconds).
    pub iat: i64,
    /// When the token stops being valid (unix seconds).
    pub exp: i64,
}

/// Signs a token.
pub fn issue(key: &[u8; 32], claims: &Claims) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(key),
    )
    .expect("HS256 signing of plain claims cannot fail")
}

/// Why a token is not active.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inactive {
    /// Not a token of ours, or tampered with.
    Invalid,
    /// Past its expiry.
    Expired,
    /// Already consumed.
    Consumed,
}

/// How far in the future an issue time may be (instances sharing a store may differ
/// slightly in clock).
const ISSUED_AHEAD_TOLERANCE_SECS: i64 = 60;

/// Verifies a token's signature, that it lives no longer than `max_lifetime_secs`
/// (`token_ttl`) and was not issued in the future, and its expiry at `now_secs`.
pub fn verify(
    key: &[u8; 32],
    token: &str,
    max_lifetime_secs: i64,
    now_secs: i64,
) -> Result<Claims, Inactive> {
    let mut validation = Validation::new(Algorithm::HS256);
    // Expiry is checked below against the gateway's clock.
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(key), &validation)
        .map_err(|_| Inactive::Invalid)?;
    let c = data.claims;
    if c.exp.saturating_sub(c.iat) > max_lifetime_secs
        || c.iat > now_secs.saturating_add(ISSUED_AHEAD_TOLERANCE_SECS)
    {
        return Err(Inactive::Invalid);
    }
    if now_secs >= c.exp {
        return Err(Inactive::Expired);
    }
    Ok(c)
}

/// Whether the token was consumed; with `consume`, consumes it (once, atomically).
/// Returns `Err(Inactive::Consumed)` when it was consumed before this call.
pub async fn check_and_consume(
    store: &dyn Store,
    claims: &Claims,
    consume: bool,
    now: Millis,
) -> Result<Result<(), Inactive>, StoreError> {
    // Kept until the token expires anyway; after that `verify` refuses it.
    let expires = Some(claims.exp * 1000);
    if consume {
        let first = store
            .put_if_absent(Ns::ConsumedToken, &claims.jti, "1".into(), expires, now)
            .await?;
        Ok(if first {
            Ok(())
        } else {
            Err(Inactive::Consumed)
        })
    } else if store
        .get(Ns::ConsumedToken, &claims.jti, now)
        .await?
        .is_some()
    {
        Ok(Err(Inactive::Consumed))
    } else {
        Ok(Ok(()))
    }
}

/// What `POST /v1/tokens/introspect` asks.
#[derive(Debug, Clone, Copy)]
pub struct Introspect<'a> {
    /// The token.
    pub token: &'a str,
    /// Consume it (one confirmation, one appointment).
    pub consume: bool,
    /// If given, the token must be for this purpose.
    pub purpose: Option<Purpose>,
    /// If given, the token must be for this location.
    pub location_id: Option<&'a str>,
}

/// Tells whether a token is active (`{active: true, location_id, phone, …}` or
/// `{active: false, reason}`), consuming it if asked; a failed assertion is a `422`
/// and consumes nothing.
pub async fn introspect(state: &AppState, q: Introspect<'_>) -> Result<Value, ApiError> {
    let now = state.now_ms();
    let inactive = |reason: &str| json!({ "active": false, "reason": reason });
    let max_lifetime = state.config.verification.token_ttl.as_secs() as i64;
    let claims = match verify(&state.secret.token_key(), q.token, max_lifetime, now / 1000) {
        Ok(c) => c,
        Err(Inactive::Expired) => return Ok(inactive("expired")),
        Err(_) => return Ok(inactive("invalid")),
    };
    // The verification it names must have been approved here, for what it claims.
    let approved = verifications::load(state, &claims.vid).await?.filter(|v| {
        v.status == Status::Approved && v.location_id == claims.loc && v.purpose == claims.purpose
    });
    let Some(verification) = approved else {
        tracing::warn!(verification = %claims.vid, "a validly signed token names no approved verification");
        return Ok(inactive("invalid"));
    };
    let Some(phone) = verification.phone_e164(&state.secret) else {
        tracing::error!(verification = %claims.vid, "the approved verification's phone does not open under this server secret");
        return Ok(inactive("invalid"));
    };
    if let Some(p) = q.purpose
        && p != claims.purpose
    {
        return Err(ApiError::new(
            ErrorCode::TokenPurposeMismatch,
            format!(
                "This token confirms a phone for `{}`, not `{}`; ask the client to confirm again for this purpose.",
                claims.purpose.as_str(),
                p.as_str()
            ),
        ));
    }
    if let Some(l) = q.location_id
        && l != claims.loc
    {
        return Err(ApiError::new(
            ErrorCode::TokenLocationMismatch,
            "This token was issued for another location; ask the client to confirm their phone at this location.",
        ));
    }
    match check_and_consume(state.store.as_ref(), &claims, q.consume, now).await? {
        Ok(()) => {}
        Err(_) if q.consume => {
            return Err(ApiError::new(
                ErrorCode::TokenConsumed,
                "This confirmation token was already consumed; one confirmation confirms one appointment. Ask the client to confirm again.",
            ));
        }
        Err(_) => return Ok(inactive("consumed")),
    }
    let ts = |secs: i64| {
        rfc3339(
            time::OffsetDateTime::from_unix_timestamp(secs)
                .unwrap_or(time::OffsetDateTime::UNIX_EPOCH),
        )
    };
    Ok(json!({
        "active": true,
        "location_id": claims.loc,
        "phone": phone,
        "purpose": claims.purpose,
        "verification_id": claims.vid,
        "confirmed_at": ts(claims.iat),
        "expires_at": ts(claims.exp),
        "consumed": q.consume,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims {
            jti: "tok_1".into(),
            vid: "ver_1".into(),
            loc: "42".into(),
            purpose: Purpose::Booking,
            iat: 1_000,
            exp: 2_000,
        }
    }

    #[test]
    fn round_trips_and_expires_by_the_given_clock() {
        let key = [7u8; 32];
        let t = issue(&key, &claims());
        assert_eq!(verify(&key, &t, 1_000, 1_999).unwrap(), claims());
        assert_eq!(verify(&key, &t, 1_000, 2_000), Err(Inactive::Expired));
    }

    #[test]
    fn tampering_and_other_keys_are_refused() {
        let key = [7u8; 32];
        let t = issue(&key, &claims());
        assert_eq!(verify(&[8u8; 32], &t, 1_000, 1_500), Err(Inactive::Invalid));
        let mut parts: Vec<String> = t.split('.').map(str::to_owned).collect();
        let forged = issue(
            &[9u8; 32],
            &Claims {
                purpose: Purpose::Login,
                ..claims()
            },
        );
        parts[1] = forged.split('.').nth(1).unwrap().to_owned();
        assert_eq!(
            verify(&key, &parts.join("."), 1_000, 1_500),
            Err(Inactive::Invalid)
        );
        assert_eq!(
            verify(&key, "not-a-token", 1_000, 1_500),
            Err(Inactive::Invalid)
        );
    }

    #[test]
    fn lifetimes_longer_than_the_ttl_or_issued_ahead_are_refused() {
        let key = [7u8; 32];
        let t = issue(&key, &claims());
        // Issued for 1000 s: fine under a 1000 s ttl, refused under 999 s.
        assert_eq!(verify(&key, &t, 1_000, 1_500).unwrap(), claims());
        assert_eq!(verify(&key, &t, 999, 1_500), Err(Inactive::Invalid));
        let ahead = issue(
            &key,
            &Claims {
                iat: 1_500 + ISSUED_AHEAD_TOLERANCE_SECS + 1,
                exp: 1_500 + ISSUED_AHEAD_TOLERANCE_SECS + 2,
                ..claims()
            },
        );
        assert_eq!(verify(&key, &ahead, 1_000, 1_500), Err(Inactive::Invalid));
    }

    #[test]
    fn the_payload_carries_no_phone() {
        let t = issue(&[7u8; 32], &claims());
        let payload = t.split('.').nth(1).unwrap();
        let decoded =
            base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
                .unwrap();
        let v: Value = serde_json::from_slice(&decoded).unwrap();
        assert!(v.get("phone").is_none(), "{v}");
    }

    #[tokio::test]
    async fn consumption_happens_once() {
        let dir = tempfile::tempdir().unwrap();
        let store =
            crate::store::SqliteStore::open(dir.path(), std::time::Duration::from_secs(1)).unwrap();
        let c = claims();
        assert_eq!(
            check_and_consume(&store, &c, false, 0).await.unwrap(),
            Ok(())
        );
        assert_eq!(
            check_and_consume(&store, &c, true, 0).await.unwrap(),
            Ok(())
        );
        assert_eq!(
            check_and_consume(&store, &c, true, 0).await.unwrap(),
            Err(Inactive::Consumed)
        );
        assert_eq!(
            check_and_consume(&store, &c, false, 0).await.unwrap(),
            Err(Inactive::Consumed)
        );
    }
}
