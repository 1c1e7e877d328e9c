//! Submits, their encodings and answers, and receipts.

use crate::support::{Esme, request, settings, smsc};
use gateway_sdk::{AdapterError, DeliveryStatus, TextEncoding};
use smsc_sim::{Receipts, Submit};
use std::sync::atomic::Ordering;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binds_submits_gsm7_and_turns_the_receipt_into_a_delivered_report() {
    let smsc = smsc().await;
    let esme = Esme::new(settings(&smsc, "s3cret"));
    let text = "Your code for Beauty Lab: 4821";
    let sent = esme
        .instance
        .send(&request("msg_1", text, TextEncoding::Gsm7))
        .await
        .expect("accepted");
    assert_eq!(sent.status, DeliveryStatus::Queued);
    let submitted = smsc.submitted();
    assert_eq!(submitted.len(), 1);
    let sm = &submitted[0];
    assert_eq!(sm.message_id, sent.provider_message_id);
    assert_eq!(sm.destination, ("79991234567".to_owned(), 1, 1));
    assert_eq!(
        sm.source,
        ("BeautyLab".to_owned(), 5, 0),
        "alphanumeric sender"
    );
    assert_eq!(sm.data_coding, 0);
    assert_eq!(
        sm.short_message,
        text.as_bytes(),
        "unpacked GSM-7 of ASCII letters"
    );
    assert_eq!(sm.registered_delivery, 1);
    assert_eq!(
        sm.validity_period, "000000000500000R",
        "five minutes, relative"
    );

    let update = esme.update_for(&sent.provider_message_id).await;
    assert_eq!(update.status, DeliveryStatus::Delivered);
    assert_eq!(update.error_code, None);
    let acked = crate::support::eventually(|| {
        (smsc.acked_receipts() == vec![sent.provider_message_id.clone()]).then_some(())
    })
    .await;
    assert!(acked.is_some(), "the receipt is acknowledged once pushed");
    assert_eq!(smsc.binds(), (1, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ucs2_text_goes_as_utf16_and_failed_receipts_carry_the_error() {
    let smsc = smsc().await;
    smsc.set_receipts(Receipts::Final("UNDELIV"));
    smsc.set_receipt_tlvs(false); // only the receipt text
    let esme = Esme::new(settings(&smsc, "s3cret"));
    let text = "Код для Салон: 4821 💅";
    let sent = esme
        .instance
        .send(&request("msg_2", text, TextEncoding::Ucs2))
        .await
        .expect("accepted");
    let sm = &smsc.submitted()[0];
    assert_eq!(sm.data_coding, 8);
    let units: Vec<u16> = sm
        .short_message
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    assert_eq!(String::from_utf16(&units).unwrap(), text);
    let update = esme.update_for(&sent.provider_message_id).await;
    assert_eq!(update.status, DeliveryStatus::Undelivered);
    assert_eq!(update.error_code.as_deref(), Some("001"));
    assert_eq!(update.detail.as_deref(), Some("smsc stat UNDELIV"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_and_refusals_map_to_sdk_kinds() {
    let smsc = smsc().await;
    let esme = Esme::new(settings(&smsc, "s3cret"));
    let req = request("msg_3", "Code 4821", TextEncoding::Gsm7);
    smsc.set_submit(Submit::Refuse(0x58));
    match esme.instance.send(&req).await {
        Err(AdapterError::Throttled { retry_after_ms, .. }) => {
            assert_eq!(retry_after_ms, Some(1500));
        }
        other => panic!("expected Throttled, got {other:?}"),
    }
    smsc.set_submit(Submit::Refuse(0x0B));
    assert!(matches!(
        esme.instance.send(&req).await,
        Err(AdapterError::Rejected { provider_code: Some(ref c), .. }) if c == "0x0000000B"
    ));
    smsc.set_submit(Submit::Refuse(0x08));
    assert!(matches!(
        esme.instance.send(&req).await,
        Err(AdapterError::Transient { .. })
    ));
    smsc.set_submit(Submit::Accept);
    esme.instance
        .send(&req)
        .await
        .expect("accepted once the SMSC takes it");
    assert_eq!(smsc.binds(), (1, 0), "refusals do not break the session");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receipt_the_gateway_refuses_is_delivered_again() {
    let smsc = smsc().await;
    let esme = Esme::new(settings(&smsc, "s3cret"));
    esme.refuse.store(2, Ordering::SeqCst);
    let sent = esme
        .instance
        .send(&request("msg_4", "Code 4821", TextEncoding::Gsm7))
        .await
        .expect("accepted");
    let update = esme.update_for(&sent.provider_message_id).await;
    assert_eq!(update.status, DeliveryStatus::Delivered);
    assert_eq!(esme.refuse.load(Ordering::SeqCst), 0, "refused twice first");
    assert_eq!(esme.updates.lock().unwrap().len(), 1);
}
