use super::*;
use gateway_sdk::DeliveryStatus::{self, *};

fn stored(adapter: &str, late: Option<LateFallback>) -> StoredMessage {
    let record: MessageRecord = serde_json::from_value(serde_json::json!({
        "id": "msg_1", "status": "sent", "adapter": adapter, "channel": "whatsapp",
        "operator": "default", "provider_message_id": "wamid.1", "text": "Code: ****",
        "encoding": "GSM-7", "segments": 1, "units": 10, "rules_applied": [],
        "location_id": "42", "phone": "+7999***4567", "purpose": "login",
        "attempts": [], "history": [], "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z"
    }))
    .unwrap();
    StoredMessage {
        record,
        late_fallback: late,
    }
}

fn window(sealed: Option<&str>) -> Option<LateFallback> {
    Some(LateFallback {
        accepted_at: 1_000,
        until: 121_000,
        silent_until: None,
        sealed: sealed.map(str::to_owned),
    })
}

#[test]
fn a_failure_of_the_current_channel_inside_the_window_claims_once() {
    let mut m = stored("whatsapp", window(Some("v1:x:y")));
    // Not a failure, or another channel's report: nothing is claimed.
    assert_eq!(m.claim("whatsapp", Delivered, 2_000), None);
    assert_eq!(m.claim("sms", Failed, 2_000), None);
    assert!(m.late_fallback.is_some());
    let claimed = m.claim("whatsapp", Undelivered, 120_999).expect("claimed");
    assert_eq!(claimed.sealed.as_deref(), Some("v1:x:y"));
    assert_eq!(m.late_fallback, None, "the claim takes the state out");
    assert_eq!(m.claim("whatsapp", Failed, 121_000), None, "once");
    for s in [Failed, Undelivered, Expired] {
        assert!(is_failure(s));
    }
    for s in [Queued, Sent, Delivered, Read] {
        assert!(!is_failure(s));
    }
}

#[test]
fn after_the_window_a_failure_claims_nothing_and_drops_the_state() {
    let mut m = stored("whatsapp", window(Some("v1:x:y")));
    assert!(!m.expire(120_999));
    assert_eq!(m.claim("whatsapp", Failed, 121_000), None);
    assert_eq!(m.late_fallback, None);
    let mut m = stored("whatsapp", window(None));
    assert!(m.expire(121_000));
    assert!(!m.expire(121_000));
    let json = serde_json::to_string(&m).unwrap();
    assert!(!json.contains("late_fallback"), "{json}");
}

#[test]
fn the_stored_state_stays_out_of_the_api_record_and_the_seal_is_bound() {
    let secret = ServerSecret::new(b"a test secret of enough length".to_vec());
    let sealed = seal(&secret, "msg_1", "+79991234567", "482910");
    assert!(!sealed.contains("482910") && !sealed.contains("79991234567"));
    let m = stored("whatsapp", window(Some(&sealed)));
    let json = serde_json::to_string(&m).unwrap();
    let back = StoredMessage::parse(Some(&json)).unwrap();
    assert_eq!(back.late_fallback, m.late_fallback);
    // The API reads the same value as a MessageRecord: the state is not there.
    let api: MessageRecord = serde_json::from_str(&json).unwrap();
    assert!(!serde_json::to_string(&api).unwrap().contains(&sealed));
    let open = open(&secret, "msg_1", &sealed).expect("opens for its message");
    assert_eq!(
        (open.phone.as_str(), open.code.as_str()),
        ("+79991234567", "482910")
    );
    assert!(format!("{open:?}").contains("***"));
    assert!(
        super::open(&secret, "msg_2", &sealed).is_none(),
        "bound to its message"
    );
    let other = ServerSecret::new(b"another secret, another key!!".to_vec());
    assert!(super::open(&other, "msg_1", &sealed).is_none());
}

#[test]
fn fallback_after_claims_when_nothing_was_delivered_by_then() {
    let silent = |status: DeliveryStatus| {
        let mut m = stored("whatsapp", window(None));
        m.late_fallback.as_mut().unwrap().silent_until = Some(301_000);
        m.record.status = status.into();
        m
    };
    let mut m = silent(Sent);
    assert_eq!(m.late_fallback.as_ref().unwrap().ends(), 301_000);
    assert_eq!(m.claim_silent(300_999), None);
    // A failure after the failure window (121 s) claims nothing, and keeps the state.
    assert_eq!(m.claim("whatsapp", Failed, 200_000), None);
    assert!(!m.expire(300_999));
    m.record.status = Failed.into();
    assert!(m.claim_silent(301_000).is_some(), "failed is not delivered");
    assert_eq!(m.claim_silent(301_000), None, "once");
    for reached in [Delivered, Read] {
        let mut m = silent(reached);
        assert_eq!(m.claim_silent(400_000), None, "{reached:?}");
        assert!(m.expire(400_000));
    }
    // Without fallback_after nothing is claimed for silence.
    let mut m = stored("whatsapp", window(None));
    assert_eq!(m.claim_silent(1_000_000), None);
}
