//! #2: the server secret beside what it protects. Whoever read `gateway.db` could
//! re-derive every live code and sign tokens, because the generated secret was in it.

use super::location;
use e2e::{Gateway, codes_for, config};
use serde_json::json;
use std::os::unix::fs::PermissionsExt as _;

const PHONE: &str = "+79991234567";

#[test]
fn the_database_file_alone_yields_no_code_or_token() {
    let dir = tempfile::tempdir().unwrap();
    let mut gw = Gateway::start(dir.path(), &config(""));
    location(&gw, None);
    let started = gw.post(
        "/v1/verifications",
        &json!({"location_id": "42", "phone": PHONE, "purpose": "login"}),
    );
    assert_eq!(started.status, 201, "{}", started.text);
    let id = started.json["id"].as_str().unwrap().to_owned();
    let code = codes_for(&gw, PHONE).pop().unwrap();
    assert!(
        gw.log().contains("verification.secret is not set"),
        "no warning"
    );
    assert!(gw.terminate().success());

    // The secret is in its own private file, and nowhere in the database files.
    let secret_path = gw.data_dir.join("server-secret");
    let mode = std::fs::metadata(&secret_path)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let secret_hex = std::fs::read_to_string(&secret_path)
        .unwrap()
        .trim()
        .to_owned();
    let secret_raw: Vec<u8> = (0..secret_hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&secret_hex[i..i + 2], 16).unwrap())
        .collect();
    let stolen = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(stolen.path().join("data")).unwrap();
    for entry in std::fs::read_dir(&gw.data_dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("gateway.db") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !contains(&bytes, secret_hex.as_bytes()),
            "{name} holds the secret (hex)"
        );
        assert!(
            !contains(&bytes, &secret_raw),
            "{name} holds the secret (raw)"
        );
        std::fs::copy(&path, stolen.path().join("data").join(&name)).unwrap();
    }

    // A gateway given only the database cannot check the code or vouch for it.
    match Gateway::try_start(stolen.path(), &config("")) {
        Err(log) => assert!(log.contains("different server secret"), "{log}"),
        Ok(thief) => {
            let r = thief.post(
                &format!("/v1/verifications/{id}/check"),
                &json!({"code": code}),
            );
            assert_ne!(
                r.json["status"], "approved",
                "the database alone approved the code: {}",
                r.text
            );
            panic!(
                "a gateway started on a copied database without its secret: {}",
                r.text
            );
        }
    }

    // The real data directory still has everything it needs.
    let gw = Gateway::start(dir.path(), &config(""));
    let r = gw.post(
        &format!("/v1/verifications/{id}/check"),
        &json!({"code": code}),
    );
    assert_eq!(r.json["status"], "approved", "{}", r.text);
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
