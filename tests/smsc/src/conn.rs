//! One ESME connection: bind, submit_sm, enquire_link, unbind, and receipts out.

use crate::{Receipt, Receipts, Shared, Submit, Submitted};
use futures::{SinkExt, StreamExt};
use rusmpp::pdus::{BindTransceiverResp, DeliverSm, SubmitSm, SubmitSmResp};
use rusmpp::tlvs::MessageDeliveryRequestTlvValue;
use rusmpp::types::{COctetString, OctetString};
use rusmpp::values::{EsmClass, MessageState, Npi, Ton};
use rusmpp::{Command, CommandId, CommandStatus, Pdu, tokio_codec::CommandCodec};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_util::codec::Framed;

type Conn = Framed<TcpStream, CommandCodec>;

/// Serves one connection until it closes or the server is aborted.
pub(crate) async fn serve(stream: TcpStream, shared: Arc<Shared>) {
    let mut framed = Framed::new(stream, CommandCodec::new());
    let conn_id = {
        let mut s = shared.lock();
        s.next_conn += 1;
        s.next_conn
    };
    let mut bound = false;
    let mut next_seq: u32 = 1;
    // deliver_sm sequence number → message id of the receipt.
    let mut in_flight: HashMap<u32, String> = HashMap::new();
    let mut retry = tokio::time::interval(Duration::from_millis(200));
    // Runs when the connection ends, however it ends (an aborted task drops it too).
    let _release = Release {
        shared: Arc::clone(&shared),
        conn_id,
    };
    let _: Result<(), ()> = async {
        loop {
            tokio::select! {
                frame = framed.next() => {
                    let Some(Ok(command)) = frame else { return Err(()) };
                    if !handle(&mut framed, &shared, command, &mut bound, &mut in_flight).await? {
                        return Ok(());
                    }
                }
                _ = shared.receipts_ready.notified(), if bound => {}
                _ = retry.tick() => {}
            }
            if bound {
                send_receipts(&mut framed, &shared, conn_id, &mut next_seq, &mut in_flight).await?;
            }
        }
    }
    .await;
}

/// Puts whatever a connection had in flight back in the queue.
struct Release {
    shared: Arc<Shared>,
    conn_id: u64,
}

impl Drop for Release {
    fn drop(&mut self) {
        let mut s = self.shared.lock();
        for receipt in &mut s.queue {
            if receipt.in_flight == Some(self.conn_id) {
                receipt.in_flight = None;
            }
        }
        drop(s);
        self.shared.receipts_ready.notify_waiters();
    }
}

/// Handles one PDU from the ESME; `Ok(false)` ends the session (unbind).
async fn handle(
    framed: &mut Conn,
    shared: &Shared,
    command: Command,
    bound: &mut bool,
    in_flight: &mut HashMap<u32, String>,
) -> Result<bool, ()> {
    let seq = command.sequence_number();
    let reply = |status: CommandStatus, pdu: Pdu| Command::new(status, seq, pdu);
    match command.pdu() {
        Some(Pdu::BindTransceiver(bind)) => {
            let ok = bind.system_id.as_str() == shared.account.system_id
                && bind.password.as_str() == shared.account.password;
            let system_id = COctetString::from_str_checked("smsc-sim");
            let status = if ok {
                shared.lock().binds += 1;
                *bound = true;
                CommandStatus::EsmeRok
            } else {
                shared.lock().refused_binds += 1;
                CommandStatus::EsmeRinvpaswd
            };
            let resp = BindTransceiverResp::new(system_id, None);
            send(framed, reply(status, resp.into())).await?;
            if *bound {
                shared.receipts_ready.notify_waiters();
            }
        }
        Some(Pdu::SubmitSm(sm)) if *bound => {
            let behaviour = shared.lock().submit;
            match behaviour {
                Submit::Accept => {
                    let id = accept(shared, sm);
                    let resp = SubmitSmResp::new(COctetString::from_str_checked(&id), vec![]);
                    send(framed, reply(CommandStatus::EsmeRok, resp.into())).await?;
                }
                Submit::Refuse(status) => {
                    send(
                        framed,
                        Command::new(CommandStatus::from(status), seq, Pdu::GenericNack),
                    )
                    .await?;
                }
                Submit::Stall => {
                    shared.lock().submitted.push(decode(sm, String::new()));
                }
                Submit::Malformed => {
                    // Not a PDU: a command_length of 8 is shorter than any header.
                    SinkExt::<Command>::flush(framed).await.map_err(|_| ())?;
                    let stream = framed.get_mut();
                    stream
                        .write_all(&[0, 0, 0, 8, 0x80, 0, 0, 4])
                        .await
                        .map_err(|_| ())?;
                    stream.flush().await.map_err(|_| ())?;
                }
            }
        }
        Some(Pdu::SubmitSm(_)) => {
            let resp = SubmitSmResp::new(COctetString::from_str_checked(""), vec![]);
            send(framed, reply(CommandStatus::EsmeRinvbndsts, resp.into())).await?;
        }
        Some(Pdu::EnquireLink) => {
            send(framed, reply(CommandStatus::EsmeRok, Pdu::EnquireLinkResp)).await?
        }
        Some(Pdu::Unbind) => {
            send(framed, reply(CommandStatus::EsmeRok, Pdu::UnbindResp)).await?;
            return Ok(false);
        }
        Some(Pdu::DeliverSmResp(_)) | None if command.id() == CommandId::DeliverSmResp => {
            if let Some(id) = in_flight.remove(&seq) {
                let mut s = shared.lock();
                if command.status() == CommandStatus::EsmeRok {
                    s.queue.retain(|r| r.message.message_id != id);
                    s.acked.push(id);
                } else if let Some(r) = s.queue.iter_mut().find(|r| r.message.message_id == id) {
                    r.in_flight = None;
                }
            }
        }
        _ => {}
    }
    Ok(true)
}

/// Records an accepted message and queues its receipt.
fn accept(shared: &Shared, sm: &SubmitSm) -> String {
    let mut s = shared.lock();
    let id = format!("{:08X}", s.next_id);
    s.next_id += 1;
    let message = decode(sm, id.clone());
    s.submitted.push(message.clone());
    let wants_receipt = message.registered_delivery & 0x03 != 0;
    if let (Receipts::Final(stat), true) = (s.receipts, wants_receipt) {
        s.queue.push_back(Receipt {
            message,
            stat,
            in_flight: None,
        });
    }
    drop(s);
    shared.receipts_ready.notify_waiters();
    id
}

fn decode(sm: &SubmitSm, message_id: String) -> Submitted {
    Submitted {
        message_id,
        source: (
            sm.source_addr.to_string(),
            sm.source_addr_ton.into(),
            sm.source_addr_npi.into(),
        ),
        destination: (
            sm.destination_addr.to_string(),
            sm.dest_addr_ton.into(),
            sm.dest_addr_npi.into(),
        ),
        data_coding: sm.data_coding.into(),
        short_message: sm.short_message().as_ref().to_vec(),
        registered_delivery: sm.registered_delivery.into(),
        validity_period: String::from_utf8_lossy(sm.validity_period.as_ref())
            .trim_end_matches('\0')
            .to_owned(),
    }
}

/// Sends every queued receipt not yet in flight.
async fn send_receipts(
    framed: &mut Conn,
    shared: &Shared,
    conn_id: u64,
    next_seq: &mut u32,
    in_flight: &mut HashMap<u32, String>,
) -> Result<(), ()> {
    let (due, tlvs): (Vec<Receipt>, bool) = {
        let mut s = shared.lock();
        if s.hold {
            return Ok(());
        }
        let tlvs = s.receipt_tlvs;
        let due = s
            .queue
            .iter_mut()
            .filter(|r| r.in_flight.is_none())
            .map(|r| {
                r.in_flight = Some(conn_id);
                r.clone()
            })
            .collect();
        (due, tlvs)
    };
    for receipt in due {
        let seq = *next_seq;
        *next_seq += 1;
        in_flight.insert(seq, receipt.message.message_id.clone());
        let pdu = receipt_pdu(&receipt, tlvs);
        send(framed, Command::new(CommandStatus::EsmeRok, seq, pdu)).await?;
    }
    Ok(())
}

fn receipt_pdu(receipt: &Receipt, tlvs: bool) -> Pdu {
    let m = &receipt.message;
    let err = if receipt.stat == "DELIVRD" {
        "000"
    } else {
        "001"
    };
    let text = format!(
        "id:{} sub:001 dlvrd:{} submit date:2611301200 done date:2611301201 stat:{} err:{err} text:",
        m.message_id,
        if receipt.stat == "DELIVRD" {
            "001"
        } else {
            "000"
        },
        receipt.stat
    );
    let state = match receipt.stat {
        "DELIVRD" => MessageState::Delivered,
        "EXPIRED" => MessageState::Expired,
        "DELETED" => MessageState::Deleted,
        "UNDELIV" => MessageState::Undeliverable,
        "ACCEPTD" => MessageState::Accepted,
        "REJECTD" => MessageState::Rejected,
        _ => MessageState::Unknown,
    };
    let mut sm = DeliverSm::builder()
        .source_addr_ton(Ton::from(m.destination.1))
        .source_addr_npi(Npi::from(m.destination.2))
        .source_addr(COctetString::from_str_checked(&m.destination.0))
        .destination_addr(COctetString::from_str_checked(&m.source.0))
        .esm_class(EsmClass::from(0x04))
        .short_message(OctetString::from_vec(text.into_bytes()).expect("short receipt text"))
        .build();
    if tlvs {
        sm.push_tlv(MessageDeliveryRequestTlvValue::ReceiptedMessageId(
            COctetString::from_str_checked(&m.message_id),
        ));
        sm.push_tlv(MessageDeliveryRequestTlvValue::MessageState(state));
    }
    sm.into()
}

async fn send(framed: &mut Conn, command: Command) -> Result<(), ()> {
    framed.send(command).await.map_err(|_| ())
}

/// `COctetString::new` for values the simulator itself made short enough.
trait FromStrChecked: Sized {
    fn from_str_checked(s: &str) -> Self;
}

impl<const MIN: usize, const MAX: usize> FromStrChecked for COctetString<MIN, MAX> {
    fn from_str_checked(s: &str) -> Self {
        COctetString::from_string(s.to_owned()).expect("a short ASCII value")
    }
}
