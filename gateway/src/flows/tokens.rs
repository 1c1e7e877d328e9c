//! Confirmation tokens: proof that a phone was confirmed for a location and purpose.
//!
//! A token is a JWT (HS256, via the maintained `jsonwebtoken` crate) signed with a key
//! derived from the server secret. Expiry is checked against the gateway's clock, not
//! the library's, so it follows the same time as everything else. Consumption is a
//! `put_if_absent` of the token id, so a `booking` token confirms one appointment even
//! under concurrent introspection. The payload is readable by whoever holds the token
//! (it carries the phone the platform already knows); it is tamper-proof, not secret.

use super::Purpose;
use crate::store::{Millis, Ns, Store, StoreError};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// What a token carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Unique token id (used to consume it).
    pub jti: String,
    /// The verification that was approved.
    pub vid: String,
    /// Location id.
    pub loc: String,
    /// Confirmed phone, E.164.
    pub phone: String,
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

/// Verifies a token's signature and expiry at `now_secs`.
pub fn verify(key: &[u8; 32], token: &str, now_secs: i64) -> Result<Claims, Inactive> {
    let mut validation = Validation::new(Algorithm::HS256);
    // Expiry is checked below against the gateway's clock.
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(key), &validation)
        .map_err(|_| Inactive::Invalid)?;
    if now_secs >= data.claims.exp {
        return Err(Inactive::Expired);
    }
    Ok(data.claims)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims {
            jti: "tok_1".into(),
            vid: "ver_1".into(),
            loc: "42".into(),
            phone: "+79991234567".into(),
            purpose: Purpose::Booking,
            iat: 1_000,
            exp: 2_000,
        }
    }

    #[test]
    fn round_trips_and_expires_by_the_given_clock() {
        let key = [7u8; 32];
        let t = issue(&key, &claims());
        assert_eq!(verify(&key, &t, 1_999).unwrap(), claims());
        assert_eq!(verify(&key, &t, 2_000), Err(Inactive::Expired));
    }

    #[test]
    fn tampering_and_other_keys_are_refused() {
        let key = [7u8; 32];
        let t = issue(&key, &claims());
        assert_eq!(verify(&[8u8; 32], &t, 1_500), Err(Inactive::Invalid));
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
            verify(&key, &parts.join("."), 1_500),
            Err(Inactive::Invalid)
        );
        assert_eq!(verify(&key, "not-a-token", 1_500), Err(Inactive::Invalid));
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
