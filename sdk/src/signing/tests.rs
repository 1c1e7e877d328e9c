//! The scheme against the Standard Webhooks test vector, and every refusal.

use super::*;

/// The specification's own example (also the reference Rust crate's `test_sign`).
const SPEC_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const SPEC_ID: &str = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk";
const SPEC_TS: i64 = 1_649_367_553;
const SPEC_BODY: &[u8] = br#"{"email":"test@example.com","username":"test_user"}"#;
const SPEC_SIGNATURE: &str = "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=";
const WINDOW: Duration = Duration::from_secs(300);

fn key() -> SigningKey {
    SigningKey::from_secret(SPEC_SECRET).unwrap()
}

fn lookup<'a>(headers: &'a [(&'static str, String)]) -> impl Fn(&'static str) -> Option<&'a str> {
    move |name: &'static str| {
        headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[test]
fn signs_the_specification_example() {
    assert_eq!(key().signature(SPEC_ID, SPEC_TS, SPEC_BODY), SPEC_SIGNATURE);
    let headers = key().headers(SPEC_ID, SPEC_TS, SPEC_BODY);
    assert_eq!(headers[0], (HEADER_ID, SPEC_ID.to_owned()));
    assert_eq!(headers[1], (HEADER_TIMESTAMP, SPEC_TS.to_string()));
    let signed = key()
        .verify(lookup(&headers), SPEC_BODY, SPEC_TS + 10, WINDOW)
        .unwrap();
    assert_eq!(
        signed,
        Signed {
            id: SPEC_ID.into(),
            timestamp: SPEC_TS
        }
    );
}

#[test]
fn secrets_need_base64_of_24_bytes_and_never_print() {
    // The prefix is optional; the example secret is exactly 24 bytes.
    assert_eq!(
        SigningKey::from_secret("C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap(),
        key()
    );
    assert_eq!(
        SigningKey::from_secret("whsec_not base64!"),
        Err(KeyError::NotBase64)
    );
    assert_eq!(
        SigningKey::from_secret("whsec_c2hvcnQ="),
        Err(KeyError::TooShort(5))
    );
    assert_eq!(format!("{:?}", key()), "SigningKey(***)");
}

#[test]
fn refuses_stale_future_tampered_and_incomplete() {
    let k = key();
    let headers = k.headers(SPEC_ID, SPEC_TS, SPEC_BODY);
    let verify = |h: &[(&'static str, String)], body: &[u8], now: i64| {
        k.verify(lookup(h), body, now, WINDOW)
    };
    // The window holds at its edges, both ways.
    assert!(verify(&headers, SPEC_BODY, SPEC_TS + 300).is_ok());
    assert!(verify(&headers, SPEC_BODY, SPEC_TS - 300).is_ok());
    assert_eq!(
        verify(&headers, SPEC_BODY, SPEC_TS + 301),
        Err(VerifyError::Stale(301))
    );
    assert_eq!(
        verify(&headers, SPEC_BODY, SPEC_TS - 301),
        Err(VerifyError::Future(301))
    );
    assert_eq!(
        verify(&headers, b"{\"email\":\"x\"}", SPEC_TS),
        Err(VerifyError::Mismatch)
    );
    // Another id or timestamp with the same signature does not verify.
    let mut moved = headers.clone();
    moved[0].1 = "msg_other".into();
    assert_eq!(
        verify(&moved, SPEC_BODY, SPEC_TS),
        Err(VerifyError::Mismatch)
    );
    let mut moved = headers.clone();
    moved[1].1 = (SPEC_TS + 1).to_string();
    assert_eq!(
        verify(&moved, SPEC_BODY, SPEC_TS),
        Err(VerifyError::Mismatch)
    );
    for (i, name) in [HEADER_ID, HEADER_TIMESTAMP, HEADER_SIGNATURE]
        .into_iter()
        .enumerate()
    {
        let mut missing = headers.to_vec();
        missing.remove(i);
        assert_eq!(
            verify(&missing, SPEC_BODY, SPEC_TS),
            Err(VerifyError::Missing(name))
        );
    }
    let mut bad = headers.clone();
    bad[1].1 = "yesterday".into();
    assert_eq!(
        verify(&bad, SPEC_BODY, SPEC_TS),
        Err(VerifyError::BadTimestamp)
    );
    // Truncated, other-version and partial signatures do not verify.
    for sig in [
        "v1,",
        "v1,tZ1I4/hD",
        "v2,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=",
        "tZ1I4",
    ] {
        let mut bad = headers.clone();
        bad[2].1 = sig.into();
        assert_eq!(
            verify(&bad, SPEC_BODY, SPEC_TS),
            Err(VerifyError::Mismatch),
            "{sig}"
        );
    }
}

#[test]
fn any_of_several_signatures_verifies_during_a_rotation() {
    let old = SigningKey::from_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    let mut headers = key().headers(SPEC_ID, SPEC_TS, SPEC_BODY);
    headers[2].1 = format!(
        "{} {}",
        old.signature(SPEC_ID, SPEC_TS, SPEC_BODY),
        key().signature(SPEC_ID, SPEC_TS, SPEC_BODY)
    );
    assert!(
        key()
            .verify(lookup(&headers), SPEC_BODY, SPEC_TS, WINDOW)
            .is_ok()
    );
    assert!(
        old.verify(lookup(&headers), SPEC_BODY, SPEC_TS, WINDOW)
            .is_ok()
    );
}
