//! An SMSC simulator for tests: an SMPP 3.4 server on 127.0.0.1.
//!
//! Built on the maintained `rusmpp` codec (the same crate the SMPP adapter uses as a
//! client; the server session below is separate code, so the two sides do not share a
//! hand-written PDU parser). It accepts `bind_transceiver` with one set of credentials,
//! answers `submit_sm` per a switchable [`Submit`] behaviour, keeps every message it
//! accepted, and delivers a delivery receipt (`deliver_sm`, text `id:… stat:… err:…`
//! and the `receipted_message_id`/`message_state` TLVs) for each, like a store-and-
//! forward SMSC: a receipt stays queued until an ESME acknowledges it with
//! `deliver_sm_resp` status 0, across disconnects and [`Smsc::restart`].

mod conn;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::net::TcpSocket;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// How the simulator answers `submit_sm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submit {
    /// `submit_sm_resp` status 0 with a new message id; a receipt follows per
    /// [`Receipts`].
    Accept,
    /// `submit_sm_resp` with this `command_status` (e.g. `0x58` ESME_RTHROTTLED,
    /// `0x0B` ESME_RINVDSTADR, `0x08` ESME_RSYSERR).
    Refuse(u32),
    /// Never answer.
    Stall,
    /// Answer with bytes that are not a valid PDU (a 4-byte length field of 8).
    Malformed,
}

/// Which receipt the simulator queues for an accepted message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receipts {
    /// `stat:` text and `message_state` for every accepted message (`DELIVRD`,
    /// `UNDELIV`, `EXPIRED`, `REJECTD`, …) when `registered_delivery` asks for one.
    Final(&'static str),
    /// No receipts.
    Off,
}

/// One accepted (or stalled) `submit_sm`, as the simulator decoded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    /// The id the simulator answered with (empty for a stalled one).
    pub message_id: String,
    /// `source_addr`, `source_addr_ton`, `source_addr_npi`.
    pub source: (String, u8, u8),
    /// `destination_addr`, `dest_addr_ton`, `dest_addr_npi`.
    pub destination: (String, u8, u8),
    /// `data_coding`.
    pub data_coding: u8,
    /// `short_message` as sent.
    pub short_message: Vec<u8>,
    /// `registered_delivery`.
    pub registered_delivery: u8,
    /// `validity_period` (empty when absent).
    pub validity_period: String,
}

/// Credentials an ESME must bind with.
#[derive(Debug, Clone)]
pub struct Account {
    /// `system_id`.
    pub system_id: String,
    /// `password`.
    pub password: String,
}

impl Default for Account {
    fn default() -> Self {
        Self {
            system_id: "gateway".into(),
            password: "s3cret".into(),
        }
    }
}

/// A queued receipt.
#[derive(Debug, Clone)]
pub(crate) struct Receipt {
    pub(crate) message: Submitted,
    pub(crate) stat: &'static str,
    /// Sent and not yet acknowledged (by the connection with this number).
    pub(crate) in_flight: Option<u64>,
}

#[derive(Debug)]
pub(crate) struct State {
    pub(crate) submit: Submit,
    pub(crate) receipts: Receipts,
    /// Whether receipts carry the TLVs (else only the text).
    pub(crate) receipt_tlvs: bool,
    /// Receipts are queued but not sent while set.
    pub(crate) hold: bool,
    pub(crate) submitted: Vec<Submitted>,
    pub(crate) queue: VecDeque<Receipt>,
    pub(crate) acked: Vec<String>,
    pub(crate) binds: usize,
    pub(crate) refused_binds: usize,
    pub(crate) next_id: u64,
    pub(crate) next_conn: u64,
}

pub(crate) struct Shared {
    pub(crate) account: Account,
    pub(crate) state: Mutex<State>,
    /// Woken when receipts are queued or put back.
    pub(crate) receipts_ready: Notify,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A running simulator. Dropping it stops it.
pub struct Smsc {
    shared: Arc<Shared>,
    addr: SocketAddr,
    server: Mutex<Option<JoinHandle<()>>>,
    /// A stopped server, awaited before listening again (its socket closes when the
    /// aborted task is dropped).
    stopped: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for Smsc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Smsc").field("addr", &self.addr).finish()
    }
}

impl Smsc {
    /// Starts on an ephemeral port of 127.0.0.1 (call inside a tokio runtime).
    pub async fn start(account: Account) -> Self {
        Self::start_on("127.0.0.1:0".parse().expect("address"), account).await
    }

    /// Starts on `addr`.
    pub async fn start_on(addr: SocketAddr, account: Account) -> Self {
        let shared = Arc::new(Shared {
            account,
            state: Mutex::new(State {
                submit: Submit::Accept,
                receipts: Receipts::Final("DELIVRD"),
                receipt_tlvs: true,
                hold: false,
                submitted: Vec::new(),
                queue: VecDeque::new(),
                acked: Vec::new(),
                binds: 0,
                refused_binds: 0,
                next_id: 1,
                next_conn: 1,
            }),
            receipts_ready: Notify::new(),
        });
        let (addr, server) = listen(addr, Arc::clone(&shared)).await;
        Self {
            shared,
            addr,
            server: Mutex::new(Some(server)),
            stopped: Mutex::new(None),
        }
    }

    /// The address ESMEs connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Sets how `submit_sm` is answered from now on.
    pub fn set_submit(&self, submit: Submit) {
        self.shared.lock().submit = submit;
    }

    /// Sets which receipt accepted messages get from now on.
    pub fn set_receipts(&self, receipts: Receipts) {
        self.shared.lock().receipts = receipts;
    }

    /// Whether receipts carry `receipted_message_id`/`message_state` (default) or only
    /// the text.
    pub fn set_receipt_tlvs(&self, on: bool) {
        self.shared.lock().receipt_tlvs = on;
    }

    /// Holds receipts in the queue (`true`) or lets them go (`false`, the default).
    pub fn hold_receipts(&self, hold: bool) {
        self.shared.lock().hold = hold;
        self.shared.receipts_ready.notify_waiters();
    }

    /// Every `submit_sm` received (accepted or stalled), in order.
    pub fn submitted(&self) -> Vec<Submitted> {
        self.shared.lock().submitted.clone()
    }

    /// Message ids whose receipt an ESME acknowledged with status 0.
    pub fn acked_receipts(&self) -> Vec<String> {
        self.shared.lock().acked.clone()
    }

    /// Receipts still waiting for an acknowledgement.
    pub fn queued_receipts(&self) -> usize {
        self.shared.lock().queue.len()
    }

    /// Successful and refused binds so far.
    pub fn binds(&self) -> (usize, usize) {
        let s = self.shared.lock();
        (s.binds, s.refused_binds)
    }

    /// Stops listening and drops every connection (as a crashed SMSC would), keeping the
    /// accepted messages and queued receipts.
    pub fn stop(&self) {
        if let Some(server) = self.server.lock().unwrap_or_else(|p| p.into_inner()).take() {
            server.abort();
            *self.stopped.lock().unwrap_or_else(|p| p.into_inner()) = Some(server);
        }
        let mut s = self.shared.lock();
        for receipt in &mut s.queue {
            receipt.in_flight = None;
        }
    }

    /// Listens again on the same address after [`Smsc::stop`].
    pub async fn resume(&self) {
        let stopped = self
            .stopped
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(stopped) = stopped {
            let _ = stopped.await;
        }
        let (_, server) = listen(self.addr, Arc::clone(&self.shared)).await;
        *self.server.lock().unwrap_or_else(|p| p.into_inner()) = Some(server);
    }

    /// [`Smsc::stop`] then [`Smsc::resume`].
    pub async fn restart(&self) {
        self.stop();
        self.resume().await;
    }
}

impl Drop for Smsc {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Binds `addr` (reusing it right after a stop) and serves connections until aborted;
/// aborting the server aborts its connections too.
async fn listen(addr: SocketAddr, shared: Arc<Shared>) -> (SocketAddr, JoinHandle<()>) {
    let socket = TcpSocket::new_v4().expect("socket");
    socket.set_reuseaddr(true).expect("SO_REUSEADDR");
    socket.bind(addr).expect("bind the SMSC port");
    let listener = socket.listen(64).expect("listen");
    let addr = listener.local_addr().expect("local address");
    let server = tokio::spawn(async move {
        let mut conns = tokio::task::JoinSet::new();
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    conns.spawn(conn::serve(stream, Arc::clone(&shared)));
                }
                Some(_) = conns.join_next(), if !conns.is_empty() => {}
            }
        }
    });
    (addr, server)
}
