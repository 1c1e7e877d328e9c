//! Unit tests: settings, encoding, receipts and the status table.

use crate::config::SmppSettings;
use crate::request::{encode_text, pack_septets, relative_validity};
use crate::{receipt, status};
use gateway_sdk::{AdapterError, DeliveryStatus, TextEncoding};
use rusmpp::CommandStatus;
use rusmpp::pdus::DeliverSm;
use rusmpp::types::OctetString;
use rusmpp::values::EsmClass;
use std::time::Duration;

fn settings() -> serde_json::Value {
    serde_json::json!({
        "host": "smsc.example.net", "system_id": "gw", "password": "pw", "source_addr": "Salon",
    })
}

#[test]
fn settings_have_defaults_and_name_the_bad_key() {
    let s = SmppSettings::from_json(settings()).expect("minimal settings");
    assert_eq!((s.port, s.window, s.dest_ton, s.dest_npi), (2775, 10, 1, 1));
    assert!(s.delivery_receipts && !s.gsm7_packed);
    assert_eq!(s.enquire_link, Duration::from_secs(30));
    let mut bad = settings();
    bad["password"] = "123456789".into();
    let err = SmppSettings::from_json(bad).unwrap_err().to_string();
    assert!(
        err.contains("`password`") && !err.contains("123456789"),
        "{err}"
    );
    let mut bad = settings();
    bad["windw"] = 3.into();
    let err = SmppSettings::from_json(bad).unwrap_err().to_string();
    assert!(err.contains("windw"), "{err}");
    let mut bad = settings();
    bad["window"] = 0.into();
    assert!(SmppSettings::from_json(bad).is_err());
    let mut bad = settings();
    bad["reconnect_max"] = "10ms".into();
    let err = SmppSettings::from_json(bad).unwrap_err().to_string();
    assert!(err.contains("reconnect_max"), "{err}");
}

#[test]
fn gsm7_packs_per_03_38_and_other_text_is_ucs2() {
    // The GSM 03.38 example: "hellohello" packs to E8 32 9B FD 46 97 D9 EC 37.
    let (packed, dc) = encode_text("hellohello", Some(TextEncoding::Gsm7), true);
    assert_eq!(dc, 0);
    assert_eq!(
        packed,
        [0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37]
    );
    assert_eq!(pack_septets(&[0x7F; 8]), [0xFF; 7]);
    let (plain, _) = encode_text("Code: 4821", None, false);
    assert_eq!(plain, b"Code: 4821");
    // `{` and `€` are escape sequences in GSM-7.
    assert_eq!(encode_text("{€", None, false).0, [0x1B, 0x28, 0x1B, 0x65]);
    let (ucs2, dc) = encode_text("Код", None, false);
    assert_eq!(dc, 8);
    assert_eq!(ucs2, [0x04, 0x1A, 0x04, 0x3E, 0x04, 0x34]);
    // The gateway said UCS-2: honoured even for GSM-7-only text.
    assert_eq!(
        encode_text("A", Some(TextEncoding::Ucs2), false),
        (vec![0, 0x41], 8)
    );
}

#[test]
fn validity_is_relative_smpp_time() {
    assert_eq!(relative_validity(300), "000000000500000R");
    assert_eq!(relative_validity(90_061), "000001010101000R");
}

fn deliver(text: &str, esm_class: u8) -> DeliverSm {
    DeliverSm::builder()
        .esm_class(EsmClass::from(esm_class))
        .short_message(OctetString::from_vec(text.as_bytes().to_vec()).expect("short"))
        .build()
}

#[test]
fn receipt_text_becomes_a_status_update() {
    let sm = deliver(
        "id:0A1B2C sub:001 dlvrd:000 submit date:2611301200 done date:2611301201 stat:UNDELIV err:034 text:Code",
        0x04,
    );
    let update = receipt::parse(&sm).expect("a receipt");
    assert_eq!(update.provider_message_id, "0A1B2C");
    assert_eq!(update.status, DeliveryStatus::Undelivered);
    assert_eq!(update.error_code.as_deref(), Some("034"));
    let ok = receipt::parse(&deliver("id:7 stat:DELIVRD err:000", 0x04)).expect("receipt");
    assert_eq!(
        (ok.status, ok.error_code),
        (DeliveryStatus::Delivered, None)
    );
    for (stat, want) in [
        ("EXPIRED", DeliveryStatus::Expired),
        ("REJECTD", DeliveryStatus::Failed),
        ("ACCEPTD", DeliveryStatus::Sent),
    ] {
        let u = receipt::parse(&deliver(&format!("id:9 stat:{stat} err:0"), 0x04));
        assert_eq!(u.map(|u| u.status), Some(want), "{stat}");
    }
    assert!(
        receipt::parse(&deliver("id:1 stat:DELIVRD", 0x00)).is_none(),
        "an MO message"
    );
    assert!(
        receipt::parse(&deliver("stat:DELIVRD", 0x04)).is_none(),
        "no id"
    );
    assert!(
        receipt::parse(&deliver("id:1 stat:WHATEVER", 0x04)).is_none(),
        "no state"
    );
}

#[test]
fn command_status_maps_to_sdk_kinds() {
    let pause = Duration::from_millis(700);
    let kind = |s: CommandStatus| status::submit_error(s, pause).kind();
    assert!(matches!(
        status::submit_error(CommandStatus::EsmeRthrottled, pause),
        AdapterError::Throttled {
            retry_after_ms: Some(700),
            ..
        }
    ));
    assert_eq!(kind(CommandStatus::EsmeRmsgqful), "throttled");
    assert_eq!(kind(CommandStatus::EsmeRinvdstadr), "rejected");
    assert_eq!(kind(CommandStatus::EsmeRinvsrcadr), "config");
    assert_eq!(kind(CommandStatus::EsmeRsyserr), "transient");
    assert_eq!(kind(CommandStatus::EsmeRinvbndsts), "transient");
    assert_eq!(kind(CommandStatus::EsmeRinvpaswd), "auth");
    assert_eq!(
        kind(CommandStatus::from(0x0000_0401)),
        "transient",
        "vendor codes"
    );
    assert!(status::is_auth(CommandStatus::EsmeRbindfail));
    assert!(!status::is_auth(CommandStatus::EsmeRalybnd));
}
