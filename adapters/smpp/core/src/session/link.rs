//! The session task: connect, `bind_transceiver`, then serve the bound session
//! (submits out, responses and receipts in, `enquire_link` when idle) until it breaks,
//! and reconnect with a doubling backoff. Ends (with an `unbind`) when the adapter is
//! dropped.
//!
//! Written here rather than taken from `rusmppc` (the codec crate's client): the adapter
//! needs the bind outcome, the window and every lost submit mapped onto the SDK's kinds
//! and health, and `rusmppc` brings a DNS resolver and TLS stacks into the build.

use super::{Link, Outgoing};
use crate::config::SmppSettings;
use crate::{receipt, status};
use futures::{SinkExt, StreamExt};
use gateway_sdk::{AdapterError, Reports};
use rusmpp::pdus::{BindTransceiver, DeliverSmResp};
use rusmpp::types::COctetString;
use rusmpp::values::{InterfaceVersion, Npi, Ton};
use rusmpp::{Command, CommandId, CommandStatus, Pdu, tokio_codec::CommandCodec};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::{Instant, sleep, timeout};
use tokio_util::codec::Framed;

type Conn = Framed<TcpStream, CommandCodec>;

/// Why a connection attempt ended.
enum Failure {
    /// Retry after the backoff.
    Retry(String),
    /// The SMSC refused the credentials.
    Auth(String),
}

/// A request of ours awaiting its response.
enum Pending {
    Submit {
        reply: oneshot::Sender<Result<String, AdapterError>>,
        sent: Instant,
        /// Its place in the window, released with this entry.
        _permit: tokio::sync::OwnedSemaphorePermit,
    },
    EnquireLink {
        sent: Instant,
    },
}

impl Pending {
    fn sent(&self) -> Instant {
        match self {
            Pending::Submit { sent, .. } | Pending::EnquireLink { sent } => *sent,
        }
    }
}

/// Runs until the [`super::Session`] is dropped.
pub(super) async fn run(
    settings: Arc<SmppSettings>,
    mut queue: mpsc::Receiver<Outgoing>,
    link: watch::Sender<Link>,
    reports: Arc<OnceLock<Reports>>,
) {
    let mut backoff = settings.reconnect_min;
    loop {
        let attempt = tokio::select! {
            attempt = connect_and_bind(&settings) => attempt,
            () = link.closed() => return,
        };
        let pause = match attempt {
            Ok(mut conn) => {
                backoff = settings.reconnect_min;
                link.send_replace(Link::Bound);
                tracing::info!(smsc = %settings.address(), "bound to the SMSC as a transceiver");
                let Some(reason) = serve(&settings, &mut conn, &mut queue, &reports).await else {
                    return; // the adapter was dropped; unbound.
                };
                tracing::warn!(smsc = %settings.address(), reason = %reason, "SMSC session lost; reconnecting");
                link.send_replace(Link::Connecting(Some(reason)));
                backoff
            }
            Err(Failure::Retry(reason)) => {
                tracing::warn!(smsc = %settings.address(), reason = %reason, "cannot bind to the SMSC; retrying");
                link.send_replace(Link::Connecting(Some(reason)));
                let pause = backoff;
                backoff = (backoff * 2).min(settings.reconnect_max);
                pause
            }
            Err(Failure::Auth(reason)) => {
                tracing::error!(smsc = %settings.address(), reason = %reason, "the SMSC refused the bind credentials");
                link.send_replace(Link::AuthRefused(reason));
                settings.reconnect_max
            }
        };
        tokio::select! {
            () = sleep(pause) => {}
            () = link.closed() => return,
        }
    }
}

fn c_string<const MIN: usize, const MAX: usize>(value: &str) -> COctetString<MIN, MAX> {
    // Lengths and ASCII were checked with the settings.
    COctetString::from_string(value.to_owned()).unwrap_or_default()
}

async fn connect_and_bind(settings: &SmppSettings) -> Result<Conn, Failure> {
    let wait = settings.response_timeout;
    let stream = match timeout(wait, TcpStream::connect(settings.address())).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => return Err(Failure::Retry(format!("cannot connect: {e}"))),
        Err(_) => return Err(Failure::Retry("connect timed out".into())),
    };
    let _ = stream.set_nodelay(true);
    let mut conn = Framed::new(stream, CommandCodec::new());
    let bind = BindTransceiver::builder()
        .system_id(c_string(&settings.system_id))
        .password(c_string(settings.password.expose()))
        .system_type(c_string(&settings.system_type))
        .interface_version(InterfaceVersion::Smpp3_4)
        .addr_ton(Ton::Unknown)
        .addr_npi(Npi::Unknown)
        .build();
    conn.send(Command::new(CommandStatus::EsmeRok, 1, bind))
        .await
        .map_err(|e| Failure::Retry(format!("cannot send bind_transceiver: {e}")))?;
    loop {
        let frame = match timeout(wait, conn.next()).await {
            Err(_) => return Err(Failure::Retry("no bind_transceiver_resp in time".into())),
            Ok(None) => {
                return Err(Failure::Retry(
                    "the SMSC closed the connection while binding".into(),
                ));
            }
            Ok(Some(Err(e))) => {
                return Err(Failure::Retry(format!(
                    "undecodable PDU while binding: {e}"
                )));
            }
            Ok(Some(Ok(frame))) => frame,
        };
        let id = frame.id();
        if id != CommandId::BindTransceiverResp && id != CommandId::GenericNack {
            continue; // nothing else is meaningful before the bind completes.
        }
        let status = frame.status();
        return match status {
            CommandStatus::EsmeRok if id == CommandId::BindTransceiverResp => Ok(conn),
            s if status::is_auth(s) => Err(Failure::Auth(format!(
                "the SMSC refused the bind with {s:?}"
            ))),
            s => Err(Failure::Retry(format!(
                "the SMSC refused the bind with {s:?}"
            ))),
        };
    }
}

/// Serves a bound session. Returns why it ended, or `None` when the adapter was
/// dropped (after unbinding). Submits still unanswered fail as `Transient`.
async fn serve(
    settings: &SmppSettings,
    conn: &mut Conn,
    queue: &mut mpsc::Receiver<Outgoing>,
    reports: &OnceLock<Reports>,
) -> Option<String> {
    let mut pending: HashMap<u32, Pending> = HashMap::new();
    let mut seq: u32 = 1;
    let mut next_seq = move || {
        seq = if seq >= 0x7FFF_FFFF { 1 } else { seq + 1 };
        seq
    };
    let mut last_traffic = Instant::now();
    let period =
        (settings.enquire_link.min(settings.response_timeout) / 5).max(Duration::from_millis(20));
    let mut tick = tokio::time::interval(period);
    let reason = loop {
        tokio::select! {
            frame = conn.next() => {
                let frame = match frame {
                    None => break "the SMSC closed the connection".to_owned(),
                    Some(Err(e)) => break format!("undecodable PDU from the SMSC: {e}"),
                    Some(Ok(frame)) => frame,
                };
                last_traffic = Instant::now();
                if let Some(reason) = incoming(settings, conn, frame, &mut pending, reports).await {
                    break reason;
                }
            }
            out = queue.recv() => {
                let Some(out) = out else {
                    let unbind = Command::new(CommandStatus::EsmeRok, next_seq(), Pdu::Unbind);
                    let _ = timeout(settings.response_timeout, conn.send(unbind)).await;
                    fail_all(pending, "the adapter is shutting down");
                    return None;
                };
                if out.reply.is_closed() {
                    continue; // its sender gave up (deadline) while it was queued.
                }
                let n = next_seq();
                if let Err(e) = conn.send(Command::new(CommandStatus::EsmeRok, n, out.sm)).await {
                    let _ = out.reply.send(Err(AdapterError::transient(format!("cannot write submit_sm: {e}"))));
                    break format!("cannot write to the SMSC: {e}");
                }
                last_traffic = Instant::now();
                pending.insert(n, Pending::Submit { reply: out.reply, sent: last_traffic, _permit: out.permit });
            }
            _ = tick.tick() => {
                if pending.values().any(|p| p.sent().elapsed() > settings.response_timeout) {
                    break format!(
                        "no response from the SMSC within {} ms",
                        settings.response_timeout.as_millis()
                    );
                }
                let probing = pending.values().any(|p| matches!(p, Pending::EnquireLink { .. }));
                if !probing && last_traffic.elapsed() >= settings.enquire_link {
                    let n = next_seq();
                    if let Err(e) = conn.send(Command::new(CommandStatus::EsmeRok, n, Pdu::EnquireLink)).await {
                        break format!("cannot write enquire_link: {e}");
                    }
                    last_traffic = Instant::now();
                    pending.insert(n, Pending::EnquireLink { sent: last_traffic });
                }
            }
        }
    };
    fail_all(
        pending,
        "the SMSC connection was lost before its submit_sm_resp (the message may or may not have been accepted)",
    );
    Some(reason)
}

fn fail_all(pending: HashMap<u32, Pending>, why: &str) {
    for p in pending.into_values() {
        if let Pending::Submit { reply, .. } = p {
            let _ = reply.send(Err(AdapterError::transient(why)));
        }
    }
}

/// Handles one PDU from the SMSC; `Some(reason)` ends the session.
async fn incoming(
    settings: &SmppSettings,
    conn: &mut Conn,
    frame: Command,
    pending: &mut HashMap<u32, Pending>,
    reports: &OnceLock<Reports>,
) -> Option<String> {
    let seq = frame.sequence_number();
    let status = frame.status();
    let reply = |status: CommandStatus, pdu: Pdu| Command::new(status, seq, pdu);
    match frame.id() {
        CommandId::SubmitSmResp | CommandId::GenericNack => {
            if let Some(Pending::Submit { reply, .. }) = pending.remove(&seq) {
                let answer = match (status, frame.pdu()) {
                    (CommandStatus::EsmeRok, Some(Pdu::SubmitSmResp(resp))) => {
                        Ok(resp.message_id().to_string())
                    }
                    (CommandStatus::EsmeRok, _) => Err(AdapterError::transient(
                        "the SMSC answered submit_sm without a message id",
                    )),
                    (s, _) => Err(status::submit_error(s, settings.throttle_pause)),
                };
                let _ = reply.send(answer);
            }
        }
        CommandId::EnquireLinkResp => {
            pending.remove(&seq);
        }
        CommandId::EnquireLink => {
            let sent = conn
                .send(reply(CommandStatus::EsmeRok, Pdu::EnquireLinkResp))
                .await;
            if sent.is_err() {
                return Some("cannot answer enquire_link".into());
            }
        }
        CommandId::DeliverSm => {
            let answer = match frame.pdu() {
                Some(Pdu::DeliverSm(sm)) => deliver(sm, reports),
                _ => CommandStatus::EsmeRinvcmdlen,
            };
            let resp = DeliverSmResp::new(COctetString::empty(), vec![]);
            if conn.send(reply(answer, resp.into())).await.is_err() {
                return Some("cannot answer deliver_sm".into());
            }
        }
        CommandId::Unbind => {
            let _ = conn
                .send(reply(CommandStatus::EsmeRok, Pdu::UnbindResp))
                .await;
            return Some("the SMSC unbound the session".into());
        }
        id if u32::from(id) & 0x8000_0000 == 0 => {
            // A request we do not serve (data_sm, alert_notification, …).
            let nack = reply(CommandStatus::EsmeRinvcmdid, Pdu::GenericNack);
            if conn.send(nack).await.is_err() {
                return Some("cannot answer the SMSC".into());
            }
        }
        _ => {}
    }
    None
}

/// Pushes a receipt to the gateway; the `deliver_sm_resp` status says whether the SMSC
/// may forget it (0) or must deliver it again (ESME_RX_T_APPN).
fn deliver(sm: &rusmpp::pdus::DeliverSm, reports: &OnceLock<Reports>) -> CommandStatus {
    let Some(update) = receipt::parse(sm) else {
        tracing::debug!("ignoring a deliver_sm that is not a delivery receipt");
        return CommandStatus::EsmeRok;
    };
    match reports.get().map(|r| r.push(std::slice::from_ref(&update))) {
        Some(Ok(())) => {
            tracing::debug!(provider_message_id = %update.provider_message_id, status = update.status.as_str(), "delivery receipt passed to the gateway");
            CommandStatus::EsmeRok
        }
        Some(Err(e)) => {
            tracing::warn!(error = %e, "delivery receipt not taken; the SMSC will retry it");
            CommandStatus::EsmeRxTAppn
        }
        None => CommandStatus::EsmeRxTAppn,
    }
}
