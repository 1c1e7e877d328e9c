//! The session: wrong credentials, health from the bind, an SMSC restart under load.

use crate::support::{Esme, eventually, request, settings, smsc};
use gateway_sdk::{AdapterError, DeliveryStatus, TextEncoding};
use std::collections::HashSet;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_auth_and_health_says_so() {
    let smsc = smsc().await;
    let esme = Esme::new(settings(&smsc, "wrong"));
    let health = esme.healthy(false).await;
    let detail = health.detail.unwrap_or_default();
    match esme
        .instance
        .send(&request("msg_auth", "Code 4821", TextEncoding::Gsm7))
        .await
    {
        Err(AdapterError::Auth { message }) => {
            assert!(message.contains("EsmeRinvpaswd"), "{message}")
        }
        other => panic!("expected Auth, got {other:?}"),
    }
    let refused = eventually(|| (smsc.binds().1 > 0).then_some(())).await;
    assert!(refused.is_some());
    assert!(smsc.submitted().is_empty());
    assert!(
        !detail.contains("wrong"),
        "the password never appears: {detail}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_follows_the_bind_across_an_outage() {
    let smsc = smsc().await;
    let esme = Esme::new(settings(&smsc, "s3cret"));
    esme.healthy(true).await;
    smsc.stop();
    let down = esme.healthy(false).await;
    assert!(down.detail.unwrap_or_default().contains("not bound"));
    match esme
        .instance
        .send(&request("msg_down", "Code 4821", TextEncoding::Gsm7))
        .await
    {
        Err(AdapterError::Transient { .. }) => {}
        other => panic!("a send while the SMSC is down is Transient, got {other:?}"),
    }
    smsc.resume().await;
    esme.healthy(true).await;
    esme.instance
        .send(&request("msg_up", "Code 4821", TextEncoding::Gsm7))
        .await
        .expect("sends again after reconnecting");
    assert_eq!(smsc.binds().0, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_smsc_restart_mid_load_loses_nothing_acknowledged() {
    let smsc = smsc().await;
    let esme = Esme::new(settings(&smsc, "s3cret"));
    esme.healthy(true).await;
    let total = 60;
    let mut sends = Vec::new();
    for i in 0..total {
        let mut req = request(&format!("msg_load_{i}"), "Code 4821", TextEncoding::Gsm7);
        req.deadline_ms = 3_000;
        sends.push(tokio::spawn(esme.instance.send(&req)));
        if i == total / 2 {
            // Restart with half the load queued or in flight.
            smsc.restart().await;
        }
    }
    let mut results = Vec::new();
    for send in sends {
        results.push(send.await.expect("send task"));
    }
    let mut accepted = HashSet::new();
    for result in &results {
        match result {
            Ok(r) => assert!(accepted.insert(r.provider_message_id.clone())),
            Err(AdapterError::Transient { .. } | AdapterError::Timeout { .. }) => {}
            Err(other) => panic!("unexpected error during the restart: {other:?}"),
        }
    }
    assert!(
        accepted.len() >= total / 2,
        "most sends went through: {}",
        accepted.len()
    );
    let known: HashSet<String> = smsc.submitted().into_iter().map(|s| s.message_id).collect();
    assert!(
        accepted.is_subset(&known),
        "every acknowledged id is one the SMSC issued"
    );
    for id in &accepted {
        let update = esme.update_for(id).await;
        assert_eq!(update.status, DeliveryStatus::Delivered, "{id}");
    }
    let drained = eventually(|| (smsc.queued_receipts() == 0).then_some(())).await;
    assert!(
        drained.is_some(),
        "every receipt was acknowledged after the restart"
    );
    assert!(smsc.binds().0 >= 2, "reconnected: {:?}", smsc.binds());
}
