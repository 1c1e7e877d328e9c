//! The SMPP adapter end to end: the gateway process loads `libadapter_smpp.so`, binds to
//! the SMSC simulator (`smsc-sim`) on 127.0.0.1, and the simulator's `deliver_sm`
//! receipts reach `GET /v1/messages/{id}` through the SDK's push path, across an SMSC
//! restart.

use e2e::{Gateway, config};
use serde_json::{Value, json};
use smsc_sim::{Account, Receipts, Smsc};
use std::time::Duration;

fn gateway(dir: &std::path::Path, smsc: &Smsc) -> Gateway {
    let account = Account::default();
    let env = [("SMPP_PASSWORD", account.password.as_str())];
    Gateway::start_on_own_port(dir, &env, |_| {
        config(&format!(
            r#"[[adapters]]
name = "sms"
library = "libadapter_smpp.so"
[adapters.settings]
host = "127.0.0.1"
port = {port}
system_id = "{system_id}"
password = {{ env = "SMPP_PASSWORD" }}
source_addr = "BeautyLab"
reconnect_min = "50ms"
reconnect_max = "500ms"
"#,
            port = smsc.addr().port(),
            system_id = account.system_id,
        ))
    })
}

fn send(gw: &Gateway, phone: &str) -> Value {
    let r = gw.post(
        "/v1/messages",
        &json!({ "location_id": "7", "phone": phone, "code": "4821", "purpose": "login" }),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["adapter"], "sms", "{}", r.text);
    r.json
}

/// Waits (bounded) until the message's last history entry has `status`.
fn history_reaches(gw: &Gateway, id: &str, status: &str) -> Value {
    let mut last = Value::Null;
    for _ in 0..250 {
        let r = gw.get(&format!("/v1/messages/{id}"));
        assert_eq!(r.status, 200, "{}", r.text);
        let reached = r.json["history"]
            .as_array()
            .and_then(|h| h.last())
            .is_some_and(|h| h["adapter"] == "sms" && h["status"] == status);
        if reached {
            return r.json;
        }
        last = r.json;
        std::thread::sleep(Duration::from_millis(40));
    }
    panic!(
        "history of {id} never reached {status}: {last}\ngateway log:\n{}",
        gw.log()
    );
}

#[test]
fn smpp_receipts_reach_the_message_history_across_an_smsc_restart() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let smsc = rt.block_on(Smsc::start(Account::default()));
    let dir = tempfile::tempdir().unwrap();
    let gw = gateway(dir.path(), &smsc);
    let r = gw.put(
        "/v1/locations/7",
        &json!({ "company_name": "Beauty Lab", "location_name": "Beauty Lab", "country": "RU",
                 "channels": ["sms"] }),
    );
    assert!(r.status == 201 || r.status == 200, "{}", r.text);

    let adapters = gw.get("/v1/adapters");
    let sms = adapters.json["adapters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "sms")
        .cloned()
        .unwrap();
    assert_eq!(sms["kind"], "smpp", "{sms}");
    assert_eq!(sms["capabilities"]["delivery_reports"], true, "{sms}");

    let first = send(&gw, "+79991234567");
    let id = first["id"].as_str().unwrap();
    let record = history_reaches(&gw, id, "delivered");
    let submitted = smsc.submitted();
    assert_eq!(submitted.len(), 1);
    assert_eq!(submitted[0].destination.0, "79991234567");
    assert_eq!(submitted[0].data_coding, 0, "the rendered text is GSM-7");
    let text = String::from_utf8(submitted[0].short_message.clone()).unwrap();
    assert!(text.contains("4821"), "the code went out: {text}");
    assert!(
        !record.to_string().contains("4821"),
        "the code is not in the record"
    );

    // A receipt the SMSC holds when it restarts is delivered after the rebind.
    smsc.hold_receipts(true);
    let second = send(&gw, "+79991234568");
    let second_id = second["id"].as_str().unwrap().to_owned();
    rt.block_on(smsc.restart());
    smsc.hold_receipts(false);
    history_reaches(&gw, &second_id, "delivered");
    assert!(smsc.binds().0 >= 2, "reconnected: {:?}", smsc.binds());
    smsc.set_receipts(Receipts::Final("UNDELIV"));
    let third = send(&gw, "+79991234569");
    history_reaches(&gw, third["id"].as_str().unwrap(), "undelivered");
    // The gateway records a receipt, then acknowledges it: the SMSC drops it from its
    // queue when the `deliver_sm_resp` arrives, a moment after the history shows it.
    let mut queued = smsc.queued_receipts();
    for _ in 0..250 {
        if queued == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(40));
        queued = smsc.queued_receipts();
    }
    assert_eq!(queued, 0, "every receipt acknowledged");
}
