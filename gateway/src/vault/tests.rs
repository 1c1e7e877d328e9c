use super::*;

fn key(byte: u8) -> Vec<u8> {
    vec![byte; 32]
}

#[test]
fn seals_and_opens_bound_to_its_place() {
    let v = Vault::new(&[key(1)]).unwrap();
    let sealed = v.seal(b"auth-token-value", b"connection:conn_1");
    assert!(sealed.starts_with(&format!("v1:{}:", v.current_key_id())));
    assert!(!sealed.contains("auth-token-value"));
    assert_eq!(
        v.open(&sealed, b"connection:conn_1").unwrap(),
        b"auth-token-value"
    );
    // Copied onto another record, it does not open.
    assert!(matches!(
        v.open(&sealed, b"connection:conn_2"),
        Err(VaultError::Tampered)
    ));
    // Two seals of the same value differ (random nonces).
    assert_ne!(sealed, v.seal(b"auth-token-value", b"connection:conn_1"));
}

#[test]
fn an_altered_value_is_refused() {
    let v = Vault::new(&[key(1)]).unwrap();
    let sealed = v.seal(b"secret", b"a");
    let (head, body) = sealed.rsplit_once(':').unwrap();
    let mut bytes = BASE64.decode(body).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let altered = format!("{head}:{}", BASE64.encode(bytes));
    assert!(matches!(v.open(&altered, b"a"), Err(VaultError::Tampered)));
    assert!(matches!(v.open("plain", b"a"), Err(VaultError::Malformed)));
    let bad_body = format!("v1:{}:!!!", v.current_key_id());
    assert!(matches!(
        v.open(&bad_body, b"a"),
        Err(VaultError::Malformed)
    ));
    assert!(matches!(
        v.open("v1:abcd:AAAA", b"a"),
        Err(VaultError::UnknownKey(id)) if id == "abcd"
    ));
}

#[test]
fn keys_rotate_old_values_open_until_resealed() {
    let old = Vault::new(&[key(1)]).unwrap();
    let sealed_old = old.seal(b"s", b"a");
    let rotated = Vault::new(&[key(2), key(1)]).unwrap();
    assert_ne!(rotated.current_key_id(), old.current_key_id());
    assert!(rotated.is_stale(&sealed_old));
    assert_eq!(rotated.open(&sealed_old, b"a").unwrap(), b"s");
    let resealed = rotated.seal(b"s", b"a");
    assert!(!rotated.is_stale(&resealed));
    // Once the old key is dropped, only the re-sealed value opens.
    let new_only = Vault::new(&[key(2)]).unwrap();
    assert_eq!(new_only.open(&resealed, b"a").unwrap(), b"s");
    match new_only.open(&sealed_old, b"a") {
        Err(VaultError::UnknownKey(id)) => assert_eq!(id, old.current_key_id()),
        other => panic!("expected UnknownKey, got {other:?}"),
    }
}

#[test]
fn config_takes_base64_hex_and_key_files_and_says_what_is_wrong() {
    let b64 = BASE64.encode(key(7));
    let cfg = SecretsConfig {
        key: Some(Secret::new(b64.clone())),
        ..Default::default()
    };
    let v = Vault::from_config(&cfg).unwrap().unwrap();
    let hexed = SecretsConfig {
        key: Some(Secret::new(hex::encode(key(7)))),
        ..Default::default()
    };
    let same = Vault::from_config(&hexed).unwrap().unwrap();
    assert_eq!(v.current_key_id(), same.current_key_id());

    assert!(
        Vault::from_config(&SecretsConfig::default())
            .unwrap()
            .is_none()
    );

    let short = SecretsConfig {
        key: Some(Secret::new(BASE64.encode([1u8; 16]))),
        ..Default::default()
    };
    let err = Vault::from_config(&short).unwrap_err().to_string();
    assert!(err.contains("secrets.key") && err.contains("32"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("keys");
    std::fs::write(
        &file,
        format!("# newest first\n{}\n\n{b64}\n", BASE64.encode(key(8))),
    )
    .unwrap();
    let from_file = Vault::from_config(&SecretsConfig {
        key_file: Some(file),
        ..Default::default()
    })
    .unwrap()
    .unwrap();
    assert_ne!(from_file.current_key_id(), v.current_key_id());
    let sealed = v.seal(b"x", b"a");
    assert_eq!(from_file.open(&sealed, b"a").unwrap(), b"x");

    let orphan = SecretsConfig {
        previous_keys: vec![Secret::new(b64)],
        ..Default::default()
    };
    assert!(Vault::from_config(&orphan).is_err());
}

#[test]
fn debug_shows_key_ids_only() {
    let v = Vault::new(&[key(3)]).unwrap();
    let shown = format!("{v:?}");
    assert!(shown.contains(v.current_key_id()));
    assert!(!shown.contains("030303"));
}
