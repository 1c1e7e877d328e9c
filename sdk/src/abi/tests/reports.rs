//! Pushed status updates through the real table: connected, refused, old tables, and
//! nothing after `destroy`.

use super::super::host::{AbiInstance, LibraryApi};
use super::super::{BASE_TABLE_SIZE, api_for};
use crate::*;
use std::sync::{Arc, Mutex};

/// Keeps the handle it is given, so the test pushes as a background task would.
struct Pusher {
    reports: Arc<Mutex<Option<Reports>>>,
}

#[async_trait]
impl Adapter for Pusher {
    const KIND: &'static str = "pusher";
    const VERSION: &'static str = "1.0.0";

    fn create(_: serde_json::Value, _: CreateContext) -> Result<Self, AdapterError> {
        Err(AdapterError::config("built in-process only"))
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
        Err(AdapterError::transient("not used"))
    }

    fn attach_reports(&self, reports: Reports) {
        *self.reports.lock().unwrap() = Some(reports);
    }
}

fn update(id: &str) -> StatusUpdate {
    StatusUpdate {
        provider_message_id: id.into(),
        status: DeliveryStatus::Undelivered,
        at: None,
        error_code: Some("001".into()),
        detail: None,
    }
}

#[test]
fn pushes_reach_the_host_until_the_instance_is_destroyed() {
    let kept = Arc::new(Mutex::new(None));
    let mut inst = AbiInstance::in_process(
        Pusher {
            reports: Arc::clone(&kept),
        },
        "pusher",
    )
    .unwrap();
    let reports = kept.lock().unwrap().clone().expect("attached at creation");
    assert_eq!(
        reports.push(&[update("a")]),
        Err(ReportError::NotAttached),
        "nothing is connected before the host sets a sink"
    );
    let seen: Arc<Mutex<Vec<StatusUpdate>>> = Arc::default();
    let sink = Arc::clone(&seen);
    assert!(inst.set_report_sink(move |updates| {
        let mut seen = sink.lock().unwrap();
        if updates.iter().any(|u| u.provider_message_id == "refuse") {
            return false;
        }
        seen.extend(updates);
        true
    }));
    assert!(!inst.set_report_sink(|_| true), "connected once");
    assert_eq!(reports.push(&[update("a"), update("b")]), Ok(()));
    assert_eq!(reports.push(&[update("refuse")]), Err(ReportError::Refused));
    assert_eq!(*seen.lock().unwrap(), vec![update("a"), update("b")]);
    drop(inst);
    assert_eq!(
        reports.push(&[update("c")]),
        Err(ReportError::NotAttached),
        "no push reaches a freed sink"
    );
    assert_eq!(seen.lock().unwrap().len(), 2);
}

#[test]
fn tables_built_before_the_extension_load_and_never_push() {
    let mut table = api_for::<Pusher>();
    table.size = BASE_TABLE_SIZE;
    // SAFETY: a valid table, leaked so it is 'static.
    let api = unsafe { LibraryApi::from_raw(Box::leak(Box::new(table))) }.expect("old size");
    assert!(!api.supports_reports());
    assert!(LibraryApi::of::<Pusher>().supports_reports());
}
