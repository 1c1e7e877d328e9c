//! The ESME session: one background task keeps a `bind_transceiver` session to the SMSC
//! (see [`link`]); [`Session::submit`] hands it a `submit_sm` and waits for the answer.
//!
//! The window of outstanding `submit_sm` is a semaphore: a send takes a permit before it
//! is queued and the permit travels with the PDU until its response arrives or the
//! connection drops, so no more than `window` are ever unanswered on the wire. A send
//! made while the link is down waits for the bind within its own deadline; once the SMSC
//! refused the credentials, sends fail at once with `Auth` until a bind succeeds.

mod link;

use crate::config::SmppSettings;
use gateway_sdk::{AdapterError, Health, Reports};
use rusmpp::pdus::SubmitSm;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot, watch};
use tokio::time::{Instant, timeout_at};

/// State of the link to the SMSC, for sends and health.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// Not bound; the last failure, if any.
    Connecting(Option<String>),
    /// Bound as a transceiver.
    Bound,
    /// The SMSC refused the bind for the credentials (retried after `reconnect_max`).
    AuthRefused(String),
}

/// A `submit_sm` on its way to the link task.
pub(crate) struct Outgoing {
    pub(crate) sm: SubmitSm,
    /// The SMSC's message id, or why not.
    pub(crate) reply: oneshot::Sender<Result<String, AdapterError>>,
    /// This PDU's place in the window; released when it is answered or lost.
    pub(crate) permit: OwnedSemaphorePermit,
}

/// Handle of the session task; dropping it unbinds and ends the task.
#[derive(Debug)]
pub struct Session {
    commands: mpsc::Sender<Outgoing>,
    link: watch::Receiver<Link>,
    window: Arc<Semaphore>,
    address: String,
}

impl Session {
    /// Starts the session task on the current tokio runtime; it connects at once.
    pub fn start(settings: Arc<SmppSettings>, reports: Arc<OnceLock<Reports>>) -> Self {
        let (commands, queue) = mpsc::channel(settings.window * 4);
        let (link_tx, link) = watch::channel(Link::Connecting(None));
        let address = settings.address();
        let window = Arc::new(Semaphore::new(settings.window));
        tokio::spawn(link::run(settings, queue, link_tx, reports));
        Self {
            commands,
            link,
            window,
            address,
        }
    }

    /// The link's state now.
    pub fn link(&self) -> Link {
        self.link.borrow().clone()
    }

    /// Submits `sm` and returns the SMSC's message id, within `deadline`.
    pub async fn submit(&self, sm: SubmitSm, deadline: Duration) -> Result<String, AdapterError> {
        let until = Instant::now() + deadline;
        let mut link = self.link.clone();
        loop {
            match &*link.borrow_and_update() {
                Link::Bound => break,
                Link::AuthRefused(reason) => {
                    return Err(AdapterError::Auth {
                        message: reason.clone(),
                    });
                }
                Link::Connecting(_) => {}
            }
            if timeout_at(until, link.changed()).await.is_err() {
                let why = match &*link.borrow() {
                    Link::Connecting(Some(reason)) => reason.clone(),
                    _ => "still connecting".to_owned(),
                };
                return Err(AdapterError::transient(format!(
                    "not bound to the SMSC at {}: {why}",
                    self.address
                )));
            }
        }
        let permit = timeout_at(until, Arc::clone(&self.window).acquire_owned())
            .await
            .map_err(|_| AdapterError::Timeout {
                message: "the submit window stayed full until the deadline".into(),
            })?
            .map_err(|_| AdapterError::transient("the session is shutting down"))?;
        let (reply, answer) = oneshot::channel();
        let outgoing = Outgoing { sm, reply, permit };
        if timeout_at(until, self.commands.send(outgoing))
            .await
            .is_err()
        {
            return Err(AdapterError::Timeout {
                message: "the session queue stayed full until the deadline".into(),
            });
        }
        match timeout_at(until, answer).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(AdapterError::transient(
                "the session ended before an answer",
            )),
            Err(_) => Err(AdapterError::Timeout {
                message: format!("no submit_sm_resp within {} ms", deadline.as_millis()),
            }),
        }
    }

    /// Health from the link state.
    pub fn health(&self) -> Health {
        match self.link() {
            Link::Bound => Health::up(),
            Link::Connecting(reason) => Health::down(format!(
                "not bound to the SMSC at {}: {}",
                self.address,
                reason.as_deref().unwrap_or("connecting")
            )),
            Link::AuthRefused(reason) => Health::down(format!(
                "{reason}; check system_id, password and system_type"
            )),
        }
    }
}
