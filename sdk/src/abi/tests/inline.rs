//! Sends answered in the inline first poll (see `abi::task`), driven through the raw
//! table from a plain thread, so each answer can be counted as it is delivered.

use super::super::export::into_handle;
use super::super::ffi::{Bytes, LogSink, Reply, STATUS_ERR, STATUS_OK};
use super::{INLINE_OK, INLINE_PANIC, Probe, capture_log, request};
use crate::AdapterError;
use crate::abi::{AdapterApi, api_for};
use std::ffi::c_void;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// Every answer delivered to one `Reply`, in order, with a way to wait for more.
#[derive(Default)]
struct Answers {
    list: Mutex<Vec<(u32, String)>>,
    arrived: Condvar,
}

impl Answers {
    fn reply(&self) -> Reply {
        Reply {
            ctx: std::ptr::from_ref(self).cast_mut().cast(),
            func: collect,
        }
    }

    fn now(&self) -> Vec<(u32, String)> {
        self.list.lock().expect("lock").clone()
    }

    /// Waits (for an event, not for time: the bound only turns a hang into a failure)
    /// until `n` answers have arrived.
    fn wait_for(&self, n: usize) -> Vec<(u32, String)> {
        let list = self.list.lock().expect("lock");
        let (list, wait) = self
            .arrived
            .wait_timeout_while(list, Duration::from_secs(30), |l| l.len() < n)
            .expect("lock");
        assert!(
            !wait.timed_out(),
            "only {} of {n} answers arrived",
            list.len()
        );
        list.clone()
    }
}

unsafe extern "C" fn collect(ctx: *mut c_void, status: u32, payload: Bytes) {
    // SAFETY: `ctx` is an `Answers` that outlives every call made with it; the payload
    // is lent for this call.
    let (answers, payload) = unsafe { (&*ctx.cast::<Answers>(), payload.as_slice()) };
    let text = String::from_utf8_lossy(payload).into_owned();
    answers.list.lock().expect("lock").push((status, text));
    answers.arrived.notify_all();
}

/// The probe's table and a live handle for it (logs captured and discarded).
fn probe_handle() -> (&'static AdapterApi, *mut c_void) {
    let lines: &'static Mutex<Vec<String>> = Box::leak(Box::default());
    let sink = LogSink {
        ctx: std::ptr::from_ref(lines).cast(),
        func: capture_log,
    };
    let handle = into_handle(Probe { fail_create: false }, sink, 0).expect("handle");
    (&const { api_for::<Probe>() }, handle)
}

fn send(table: &AdapterApi, handle: *mut c_void, phone: &str, answers: &Answers) {
    let bytes = serde_json::to_vec(&request(phone)).expect("encodes");
    // SAFETY: a live handle of this table; `bytes` and `answers` outlive the call (the
    // latter outlives every answer: tests wait for them before dropping it).
    unsafe { (table.send)(handle, Bytes::borrow(&bytes), answers.reply()) };
}

#[test]
fn a_send_needing_no_wait_is_answered_once_before_send_returns() {
    let (table, handle) = probe_handle();
    let inline = Answers::default();
    send(table, handle, INLINE_OK, &inline);
    let got = inline.now();
    assert_eq!(got.len(), 1, "answered before `send` returned: {got:?}");
    assert_eq!(got[0].0, STATUS_OK, "{got:?}");
    assert!(got[0].1.contains("inline-msg_1"), "{got:?}");
    // A send that must wait is answered later, from the library runtime ...
    let waiting = Answers::default();
    send(table, handle, "+15550001111", &waiting);
    let later = waiting.wait_for(1);
    assert_eq!(later[0].0, STATUS_OK, "{later:?}");
    assert!(later[0].1.contains("p-msg_1"), "{later:?}");
    // ... and meanwhile nothing answered the inline call a second time.
    assert_eq!(inline.now(), got);
    // SAFETY: a handle from `into_handle`, destroyed once, no call executing.
    unsafe { (table.destroy)(handle) };
}

#[test]
fn a_panic_in_the_inline_poll_is_answered_once_as_internal() {
    let (table, handle) = probe_handle();
    let answers = Answers::default();
    send(table, handle, INLINE_PANIC, &answers);
    let got = answers.now();
    assert_eq!(got.len(), 1, "answered before `send` returned: {got:?}");
    assert_eq!(got[0].0, STATUS_ERR, "{got:?}");
    let error: AdapterError = serde_json::from_str(&got[0].1).expect("an AdapterError");
    assert!(
        matches!(&error, AdapterError::Internal { message }
            if message.contains("panicked in send") && message.contains("send exploded inline")),
        "{error:?}"
    );
    // The instance keeps serving, inline and on the runtime.
    let after = Answers::default();
    send(table, handle, INLINE_OK, &after);
    send(table, handle, "+15550001111", &after);
    let after = after.wait_for(2);
    assert!(
        after.iter().all(|(status, _)| *status == STATUS_OK),
        "{after:?}"
    );
    assert_eq!(answers.now(), got);
    // SAFETY: a handle from `into_handle`, destroyed once, no call executing.
    unsafe { (table.destroy)(handle) };
}
