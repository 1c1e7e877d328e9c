//! Shared set-up: a simulator, an adapter instance behind the C ABI whose pushed
//! receipts are collected, and requests.

use adapter_smpp_core::SmppAdapter;
use gateway_sdk::abi::host::AbiInstance;
use gateway_sdk::{Adapter, CreateContext, SendRequest, StatusUpdate, TextEncoding};
use smsc_sim::{Account, Smsc};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Settings for an instance bound to `smsc` with `password`, reconnecting quickly.
pub fn settings(smsc: &Smsc, password: &str) -> serde_json::Value {
    serde_json::json!({
        "host": "127.0.0.1",
        "port": smsc.addr().port(),
        "system_id": Account::default().system_id,
        "password": password,
        "source_addr": "BeautyLab",
        "window": 5,
        "enquire_link": "1s",
        "response_timeout": "2s",
        "reconnect_min": "20ms",
        "reconnect_max": "200ms",
        "throttle_pause": "1500ms",
    })
}

/// An instance behind the C ABI with its pushed updates collected.
pub struct Esme {
    pub instance: AbiInstance,
    pub updates: Arc<Mutex<Vec<StatusUpdate>>>,
    /// How many pushes to refuse before taking them.
    pub refuse: Arc<AtomicUsize>,
}

impl Esme {
    pub fn new(settings: serde_json::Value) -> Self {
        let ctx = CreateContext {
            instance: "smpp-main".into(),
            data_dir: String::new(),
            public_url: None,
        };
        let adapter = SmppAdapter::create(settings, ctx).expect("valid settings");
        let mut instance = AbiInstance::in_process(adapter, "smpp-main").expect("table");
        let updates: Arc<Mutex<Vec<StatusUpdate>>> = Arc::default();
        let refuse = Arc::new(AtomicUsize::new(0));
        let (seen, refusing) = (Arc::clone(&updates), Arc::clone(&refuse));
        assert!(instance.set_report_sink(move |batch| {
            if refusing
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
            {
                return false;
            }
            seen.lock().unwrap().extend(batch);
            true
        }));
        Self {
            instance,
            updates,
            refuse,
        }
    }

    /// Waits (bounded) until an update for `provider_id` arrived and returns it.
    pub async fn update_for(&self, provider_id: &str) -> StatusUpdate {
        let found = eventually(|| {
            self.updates
                .lock()
                .unwrap()
                .iter()
                .find(|u| u.provider_message_id == provider_id)
                .cloned()
        })
        .await;
        found.unwrap_or_else(|| panic!("no delivery report for {provider_id}"))
    }

    /// Waits (bounded) for the instance's health to be `up`.
    pub async fn healthy(&self, up: bool) -> gateway_sdk::Health {
        let mut last = None;
        for _ in 0..500 {
            let health = self.instance.health().await;
            if health.up == up {
                return health;
            }
            last = Some(health);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("health never became up={up}: {last:?}");
    }
}

/// Polls `f` every 20 ms for up to 10 s.
pub async fn eventually<T>(mut f: impl FnMut() -> Option<T>) -> Option<T> {
    for _ in 0..500 {
        if let Some(v) = f() {
            return Some(v);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

/// A request as the gateway makes it.
pub fn request(message_id: &str, text: &str, encoding: TextEncoding) -> SendRequest {
    SendRequest {
        message_id: message_id.to_owned(),
        phone: "+79991234567".to_owned(),
        text: text.to_owned(),
        code: "4821".to_owned(),
        title: None,
        language: "en".to_owned(),
        sender_id: None,
        code_ttl_secs: 300,
        deadline_ms: 5_000,
        idempotency_key: format!("idem-{message_id}"),
        callback_url: None,
        precheck_ref: None,
        encoding: Some(encoding),
        segments: Some(1),
    }
}

pub async fn smsc() -> Smsc {
    Smsc::start(Account::default()).await
}
