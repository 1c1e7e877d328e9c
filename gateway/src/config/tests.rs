use super::*;
use std::io::Write;

fn write(contents: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    f.write_all(contents.as_bytes()).unwrap();
    f
}

fn no_env() -> Option<HashMap<String, String>> {
    Some(HashMap::new())
}

#[test]
fn defaults_load_without_a_file() {
    let cfg = Config::load(None, no_env()).unwrap();
    assert_eq!(cfg.server.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(cfg.verification.code_length, 6);
    assert_eq!(cfg.verification.ttl, Duration::from_secs(600));
}

#[test]
fn file_then_env_override() {
    let f = write("[server]\nlisten = \"127.0.0.1:9000\"\n[verification]\nttl = \"2m\"\n");
    let env = HashMap::from([(
        "GATEWAY__VERIFICATION__CODE_LENGTH".to_string(),
        "8".to_string(),
    )]);
    let cfg = Config::load(Some(f.path()), Some(env)).unwrap();
    assert_eq!(cfg.server.listen.port(), 9000);
    assert_eq!(cfg.verification.ttl, Duration::from_secs(120));
    assert_eq!(cfg.verification.code_length, 8);
}

#[test]
fn misspelt_key_is_named() {
    let f = write("[server]\nlisten_addr = \"127.0.0.1:9000\"\n");
    let err = Config::load(Some(f.path()), no_env())
        .unwrap_err()
        .to_string();
    assert!(err.contains("listen_addr"), "{err}");
}

#[test]
fn unknown_section_is_named() {
    let f = write("[servre]\nlisten = \"127.0.0.1:9000\"\n");
    let err = Config::load(Some(f.path()), no_env())
        .unwrap_err()
        .to_string();
    assert!(err.contains("servre"), "{err}");
}

#[test]
fn bad_duration_is_an_error_naming_the_key() {
    let f = write("[verification]\nttl = \"ten minutes\"\n");
    let err = Config::load(Some(f.path()), no_env())
        .unwrap_err()
        .to_string();
    assert!(err.contains("ttl"), "{err}");
}

#[test]
fn range_checks_name_the_key() {
    let env = HashMap::from([(
        "GATEWAY__VERIFICATION__CODE_LENGTH".to_string(),
        "3".to_string(),
    )]);
    let err = Config::load(None, Some(env)).unwrap_err().to_string();
    assert!(err.contains("verification.code_length"), "{err}");
}

#[test]
fn bad_api_key_hash_is_refused() {
    let f = write("[[auth.api_keys]]\nname = \"x\"\nhash = \"plaintext\"\n");
    let err = Config::load(Some(f.path()), no_env())
        .unwrap_err()
        .to_string();
    assert!(err.contains("auth.api_keys[0].hash"), "{err}");
}

#[test]
fn missing_file_is_named() {
    let err = Config::load(Some(Path::new("/nonexistent/gw.toml")), no_env())
        .unwrap_err()
        .to_string();
    assert!(err.contains("/nonexistent/gw.toml"), "{err}");
}

#[test]
fn secret_from_env_reference_never_prints() {
    let f = write("[verification]\nsecret = \"0123456789abcdef0123\"\n");
    let cfg = Config::load(Some(f.path()), no_env()).unwrap();
    let dbg = format!("{cfg:?}");
    assert!(!dbg.contains("0123456789abcdef0123"), "{dbg}");
}

#[test]
fn redis_backend_needs_a_url_and_a_configured_secret() {
    let err = |toml: &str| {
        Config::load(Some(write(toml).path()), no_env())
            .unwrap_err()
            .to_string()
    };
    let secret = "[verification]\nsecret = \"0123456789abcdef0123\"\n";
    let e = err(&format!("{secret}[store]\nbackend = \"redis\"\n"));
    assert!(e.contains("store.redis.url"), "{e}");
    let e = err("[store]\nbackend = \"redis\"\n[store.redis]\nurl = \"redis://127.0.0.1:6379\"\n");
    assert!(
        e.contains("verification.secret") && e.contains("same value on every instance"),
        "{e}"
    );
    let e = err(&format!(
        "{secret}[store]\nbackend = \"redis\"\n[store.redis]\nurl = \"http://:pw@x\"\n"
    ));
    assert!(e.contains("store.redis.url") && !e.contains(":pw@"), "{e}");
    let e = err(&format!(
        "{secret}[store]\nbackend = \"redis\"\n[store.redis]\ncluster_nodes = [\"redis://a:1\", \"nope\"]\n"
    ));
    assert!(e.contains("store.redis.cluster_nodes[1]"), "{e}");
    let e = err(&format!(
        "{secret}[store.redis]\nurl = \"redis://h:1\"\nkeyprefix = \"x\"\n"
    ));
    assert!(e.contains("keyprefix"), "{e}");
    let f = write(&format!(
        "{secret}[store]\nbackend = \"redis\"\n[store.redis]\nurl = {{ env = \"GW_TEST_REDIS_URL_UNSET_SURELY\" }}\n"
    ));
    let e = Config::load(Some(f.path()), no_env())
        .unwrap_err()
        .to_string();
    assert!(e.contains("GW_TEST_REDIS_URL_UNSET_SURELY"), "{e}");
    let e = err("[limits]\nthroughput_scope = \"cluster\"\n");
    assert!(
        e.contains("limits.throughput_scope") && e.contains("redis"),
        "{e}"
    );
    let ok = write(&format!(
        "{secret}[limits]\nthroughput_scope = \"cluster\"\n[store]\nbackend = \"redis\"\n[store.redis]\nurl = \"rediss://u:p@redis.example:6380/2\"\nkey_prefix = \"prod:\"\ncommand_timeout = \"250ms\"\n"
    ));
    let cfg = Config::load(Some(ok.path()), no_env()).unwrap();
    assert_eq!(cfg.store.backend, crate::store::StoreBackend::Redis);
    assert_eq!(cfg.store.redis.key_prefix, "prod:");
    assert_eq!(cfg.store.redis.command_timeout, Duration::from_millis(250));
    assert_eq!(format!("{:?}", cfg.store.redis.url), "Some(***)");
}

#[test]
fn the_secrets_key_comes_from_the_environment_and_a_bad_one_is_named() {
    let good = HashMap::from([(
        "GATEWAY__SECRETS__KEY".to_string(),
        "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=".to_string(),
    )]);
    let cfg = Config::load(None, Some(good)).unwrap();
    let vault = crate::vault::Vault::from_config(&cfg.secrets).unwrap();
    assert!(vault.is_some());
    assert!(
        !format!("{cfg:?}").contains("q83vEjRW"),
        "the key never prints"
    );
    let bad = HashMap::from([("GATEWAY__SECRETS__KEY".to_string(), "short".to_string())]);
    let err = Config::load(None, Some(bad)).unwrap_err().to_string();
    assert!(err.contains("secrets.key"), "{err}");
    let f = write("[connections]\nrecheck = \"5s\"\n");
    let err = Config::load(Some(f.path()), no_env())
        .unwrap_err()
        .to_string();
    assert!(err.contains("connections.recheck"), "{err}");
}
