//! Connections over the real SQLite store with an in-process adapter driven through the
//! real C table; time is passed in by hand (the gateway's clock in production).

use super::*;
use crate::adapters::{AdapterKinds, HostContext};
use crate::store::{Ns, SqliteStore, Store};
use crate::vault::Vault;
use gateway_sdk::abi::host::LibraryApi;
use gateway_sdk::{
    Adapter, AdapterError, Capabilities, Channel, CreateContext, DeliveryStatus, Health,
    SendRequest, SendResult,
};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// Answers every send with its token as the provider id, so a test sees which
/// credentials an instance was built with.
struct Tokened {
    token: String,
}

#[gateway_sdk::async_trait]
impl Adapter for Tokened {
    const KIND: &'static str = "tokened";
    const VERSION: &'static str = "1.0.0";

    fn create(settings: serde_json::Value, _: CreateContext) -> Result<Self, AdapterError> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct S {
            auth_token: String,
            #[allow(dead_code)]
            from: String,
        }
        let s: S = serde_json::from_value(settings)
            .map_err(|e| AdapterError::config(format!("tokened settings: {e}")))?;
        if s.auth_token.is_empty() {
            return Err(AdapterError::config(
                "tokened settings: `auth_token` is empty",
            ));
        }
        Ok(Self {
            token: s.auth_token,
        })
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            channels: vec![Channel::Sms],
            reachability_check: false,
            delivery_reports: true,
            provider_renders_text: false,
            codes: None,
        }
    }

    async fn send(&self, _: SendRequest) -> Result<SendResult, AdapterError> {
        Ok(SendResult {
            provider_message_id: self.token.clone(),
            status: DeliveryStatus::Sent,
            segments_billed: None,
        })
    }

    async fn health(&self) -> Health {
        Health::up()
    }
}

const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

fn at(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap()
}

fn vault(byte: u8) -> Arc<Vault> {
    Arc::new(Vault::new(&[vec![byte; 32]]).unwrap())
}

struct World {
    _dir: tempfile::TempDir,
    store: Arc<dyn Store>,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> =
        Arc::new(SqliteStore::open(dir.path(), Duration::from_secs(5)).unwrap());
    World { _dir: dir, store }
}

fn config() -> ConnectionsConfig {
    ConnectionsConfig {
        max_live: 100,
        ..Default::default()
    }
}

fn connections(w: &World, vault: Option<Arc<Vault>>, cfg: &ConnectionsConfig) -> Connections {
    let kinds = AdapterKinds::from_apis([LibraryApi::of::<Tokened>()]);
    let host = HostContext {
        data_dir: w._dir.path().to_path_buf(),
        public_url: None,
        reports: None,
    };
    Connections::new(w.store.clone(), vault, kinds, host, cfg)
}

fn new_conn(location: Option<&str>, token: &str) -> NewConnection {
    NewConnection {
        kind: "tokened".into(),
        name: " Beauty Lab SMS ".into(),
        location_id: location.map(str::to_owned),
        settings: json!({ "auth_token": token, "from": "+15005550006" }),
    }
}

fn request() -> SendRequest {
    SendRequest {
        message_id: "msg_1".into(),
        phone: "+79991234567".into(),
        text: "Confirmation code: 1234".into(),
        code: "1234".into(),
        title: None,
        language: "en".into(),
        sender_id: None,
        code_ttl_secs: 60,
        deadline_ms: 1000,
        idempotency_key: "k".into(),
        callback_url: None,
        precheck_ref: None,
        encoding: None,
        segments: None,
    }
}

async fn token_of(c: &Connections, id: &str, now: i64) -> Option<String> {
    let instance = c.instance(id, now).await.unwrap()?;
    Some(instance.send(request()).await.unwrap().provider_message_id)
}

#[tokio::test]
async fn secrets_are_sealed_at_rest_and_only_their_names_are_kept_in_clear() {
    let w = world();
    let c = connections(&w, Some(vault(1)), &config());
    let rec = c
        .create(new_conn(Some("42"), "tok-secret-1"), at(T0))
        .await
        .unwrap();
    assert!(rec.id.starts_with("conn_"));
    assert_eq!(rec.name, "Beauty Lab SMS");
    assert_eq!(rec.secret_keys, vec!["auth_token".to_owned()]);
    assert_eq!(
        rec.settings,
        *json!({"from": "+15005550006"}).as_object().unwrap()
    );
    let raw = w
        .store
        .get(Ns::Connection, &rec.id, T0)
        .await
        .unwrap()
        .unwrap();
    assert!(!raw.contains("tok-secret-1"), "{raw}");
    assert!(raw.contains("auth_token"));
    assert_eq!(
        token_of(&c, &rec.id, T0).await.as_deref(),
        Some("tok-secret-1")
    );
    // A second gateway without the key cannot use it, and says why without the secret.
    let keyless = connections(&w, None, &config());
    match keyless.instance(&rec.id, T0).await {
        Err(ConnectionError::Unusable { message, .. }) => {
            assert!(message.contains("[secrets]"), "{message}");
        }
        other => panic!("expected Unusable, got {:?}", other.map(|i| i.is_some())),
    }
}

#[tokio::test]
async fn without_a_key_secrets_are_refused_and_plain_settings_work() {
    let w = world();
    let c = connections(&w, None, &config());
    assert!(matches!(
        c.create(new_conn(None, "t"), at(T0)).await,
        Err(ConnectionError::SecretsNotConfigured)
    ));
    assert!(
        c.list_all(T0).await.unwrap().is_empty(),
        "nothing half-written"
    );
}

#[tokio::test]
async fn bad_input_names_the_field_in_the_adapters_words() {
    let w = world();
    let c = connections(&w, Some(vault(1)), &config());
    let mut unknown = new_conn(None, "t");
    unknown.kind = "smoke-signals".into();
    match c.create(unknown, at(T0)).await {
        Err(ConnectionError::UnknownKind { kind, known }) => {
            assert_eq!(kind, "smoke-signals");
            assert_eq!(known, vec!["tokened".to_owned()]);
        }
        other => panic!("{other:?}"),
    }
    let mut missing = new_conn(None, "t");
    missing.settings = json!({ "from": "+1" });
    match c.create(missing, at(T0)).await {
        Err(ConnectionError::Settings { field, message }) => {
            assert_eq!(field.as_deref(), Some("settings.auth_token"), "{message}");
            assert!(message.contains("missing field `auth_token`"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let mut env_ref = new_conn(None, "t");
    env_ref.settings = json!({ "auth_token": { "env": "GATEWAY__SECRETS__KEY" }, "from": "+1" });
    match c.create(env_ref, at(T0)).await {
        Err(ConnectionError::Invalid { field, .. }) => assert_eq!(field, "settings.auth_token"),
        other => panic!("{other:?}"),
    }
    let mut blank = new_conn(None, "t");
    blank.name = "  ".into();
    assert!(matches!(
        c.create(blank, at(T0)).await,
        Err(ConnectionError::Invalid { field, .. }) if field == "name"
    ));
    assert!(c.list_all(T0).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_patch_is_used_at_once_here_and_within_recheck_elsewhere() {
    let w = world();
    let cfg = config();
    let here = connections(&w, Some(vault(1)), &cfg);
    let there = connections(&w, Some(vault(1)), &cfg);
    let id = here
        .create(new_conn(Some("42"), "old"), at(T0))
        .await
        .unwrap()
        .id;
    assert_eq!(token_of(&there, &id, T0).await.as_deref(), Some("old"));
    let old_instance = there.instance(&id, T0).await.unwrap().unwrap();

    let patch = ConnectionPatch {
        name: None,
        settings: Some(json!({ "auth_token": "new" })),
    };
    let rec = here.patch(&id, patch, at(T0 + 10)).await.unwrap();
    assert_eq!(rec.version, 2);
    assert_eq!(rec.settings["from"], "+15005550006", "other settings kept");
    assert_eq!(token_of(&here, &id, T0 + 10).await.as_deref(), Some("new"));

    let recheck = i64::try_from(cfg.recheck.as_millis()).unwrap();
    assert_eq!(
        token_of(&there, &id, T0 + recheck - 1).await.as_deref(),
        Some("old"),
        "within recheck the live instance is used as is"
    );
    assert_eq!(
        token_of(&there, &id, T0 + recheck).await.as_deref(),
        Some("new"),
        "after recheck the new version is picked up"
    );
    // A send on the replaced instance (held by a request in flight) still completes.
    let r = old_instance.send(request()).await.unwrap();
    assert_eq!(r.provider_message_id, "old");
}

#[tokio::test]
async fn a_bad_patch_changes_nothing() {
    let w = world();
    let c = connections(&w, Some(vault(1)), &config());
    let id = c.create(new_conn(None, "old"), at(T0)).await.unwrap().id;
    let patch = ConnectionPatch {
        name: Some("Renamed".into()),
        settings: Some(json!({ "auth_token": "" })),
    };
    assert!(matches!(
        c.patch(&id, patch, at(T0)).await,
        Err(ConnectionError::Settings { field: Some(f), .. }) if f == "settings.auth_token"
    ));
    let rec = c.require(&id, T0).await.unwrap();
    assert_eq!((rec.version, rec.name.as_str()), (1, "Beauty Lab SMS"));
    // Removing a required key with null is refused the same way.
    let remove = ConnectionPatch {
        name: None,
        settings: Some(json!({ "from": null })),
    };
    assert!(matches!(
        c.patch(&id, remove, at(T0)).await,
        Err(ConnectionError::Settings { .. })
    ));
    let renamed = ConnectionPatch {
        name: Some("Renamed".into()),
        settings: None,
    };
    assert_eq!(c.patch(&id, renamed, at(T0)).await.unwrap().name, "Renamed");
    assert_eq!(token_of(&c, &id, T0).await.as_deref(), Some("old"));
}

#[tokio::test]
async fn deleted_connections_go_everywhere_and_lists_follow() {
    let w = world();
    let cfg = config();
    let here = connections(&w, Some(vault(1)), &cfg);
    let there = connections(&w, Some(vault(1)), &cfg);
    let own = here
        .create(new_conn(Some("42"), "a"), at(T0))
        .await
        .unwrap()
        .id;
    let other = here
        .create(new_conn(Some("7"), "b"), at(T0))
        .await
        .unwrap()
        .id;
    let shared = here.create(new_conn(None, "c"), at(T0)).await.unwrap().id;
    let ids = |v: Vec<Connection>| v.into_iter().map(|c| c.id).collect::<Vec<_>>();
    assert_eq!(
        ids(here.list_owned(Some("42"), T0).await.unwrap()),
        vec![own.clone()]
    );
    assert_eq!(
        ids(here.list_owned(None, T0).await.unwrap()),
        vec![shared.clone()]
    );
    let mut all = vec![own.clone(), other.clone(), shared.clone()];
    all.sort();
    assert_eq!(ids(here.list_all(T0).await.unwrap()), all);

    here.set_user(&own, "42", true, T0).await.unwrap();
    here.set_user(&own, "43", true, T0).await.unwrap();
    here.set_user(&own, "43", false, T0).await.unwrap();
    assert_eq!(here.users(&own, T0).await.unwrap(), vec!["42".to_owned()]);

    assert!(there.instance(&own, T0).await.unwrap().is_some());
    here.delete(&own, T0 + 1).await.unwrap();
    assert!(here.instance(&own, T0 + 1).await.unwrap().is_none());
    assert!(here.users(&own, T0 + 1).await.unwrap().is_empty());
    assert!(
        here.list_owned(Some("42"), T0 + 1)
            .await
            .unwrap()
            .is_empty()
    );
    let recheck = i64::try_from(cfg.recheck.as_millis()).unwrap();
    assert!(there.instance(&own, T0 + recheck).await.unwrap().is_none());
    assert!(matches!(
        here.delete(&own, T0 + 2).await,
        Err(ConnectionError::NotFound(_))
    ));
}

#[tokio::test]
async fn rotate_secrets_reseals_under_the_newest_key() {
    let w = world();
    let old = connections(&w, Some(vault(1)), &config());
    let id = old.create(new_conn(None, "tok"), at(T0)).await.unwrap().id;
    old.create(new_conn(Some("42"), "other"), at(T0))
        .await
        .unwrap();
    let both = Arc::new(Vault::new(&[vec![2; 32], vec![1; 32]]).unwrap());
    let rotating = connections(&w, Some(both), &config());
    let report = rotating.rotate(T0).await.unwrap();
    assert_eq!((report.resealed, report.current), (2, 0));
    assert!(report.failed.is_empty());
    assert_eq!(rotating.rotate(T0).await.unwrap().current, 2, "idempotent");
    let new_only = connections(&w, Some(vault(2)), &config());
    assert_eq!(token_of(&new_only, &id, T0).await.as_deref(), Some("tok"));
}

#[tokio::test]
async fn idle_instances_are_dropped_and_the_cache_is_bounded() {
    let w = world();
    let cfg = ConnectionsConfig {
        max_live: 2,
        ..Default::default()
    };
    let c = connections(&w, Some(vault(1)), &cfg);
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            c.create(new_conn(None, &format!("t{i}")), at(T0))
                .await
                .unwrap()
                .id,
        );
    }
    assert!(c.live_count() <= 2, "held {}", c.live_count());
    // Evicted ones come back on use, with the right settings.
    assert_eq!(token_of(&c, &ids[0], T0).await.as_deref(), Some("t0"));
    let idle = i64::try_from(cfg.idle_timeout.as_millis()).unwrap();
    assert_eq!(c.sweep(at(T0 + idle - 1)), 0);
    assert!(c.sweep(at(T0 + idle)) >= 1);
    assert_eq!(c.live_count(), 0);
}

#[tokio::test]
async fn an_older_build_never_replaces_a_newer_one() {
    let cache = live::LiveCache::new(10, 500, 60_000);
    let kinds = AdapterKinds::from_apis([LibraryApi::of::<Tokened>()]);
    let host = HostContext {
        data_dir: std::env::temp_dir(),
        public_url: None,
        reports: None,
    };
    let make = |token: &str| -> Arc<dyn crate::adapters::AdapterInstance> {
        let s = json!({ "auth_token": token, "from": "+1" });
        Arc::new(
            kinds
                .create("tokened", "conn_x", s, &host, Duration::from_secs(1))
                .unwrap()
                .unwrap(),
        )
    };
    cache.insert("conn_x", make("v2"), 2, 0);
    let kept = cache.insert("conn_x", make("v1"), 1, 0);
    assert_eq!(
        kept.send(request()).await.unwrap().provider_message_id,
        "v2"
    );
    assert!(cache.confirm("conn_x", 1, 10).is_none());
    assert!(cache.confirm("conn_x", 2, 10).is_some());
}

#[test]
fn secret_settings_are_decided_by_name_at_any_depth() {
    use model::is_secret_setting as secret;
    assert!(secret("auth_token", &json!("x")));
    assert!(secret("API_KEY_SECRET", &json!("x")));
    assert!(secret("headers", &json!({"X-Auth": "x"})));
    assert!(secret("list", &json!([{"password": "x"}])));
    assert!(!secret("from", &json!("+1")));
    assert!(!secret("base_url", &json!("http://x")));
    assert_eq!(
        model::named_setting("settings: `from` is wrong"),
        Some("from")
    );
    assert_eq!(model::named_setting("no key here"), None);
}
