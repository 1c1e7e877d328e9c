//! SMPP 3.4 adapter for the confirmation-code gateway: an ESME that keeps one
//! `bind_transceiver` session to an aggregator's SMSC.
//!
//! Each code is one `submit_sm` (GSM-7 or UCS-2 as the gateway rendered it, a validity
//! period of the code's lifetime, a delivery receipt requested); the SMSC's
//! `deliver_sm` receipts are pushed to the gateway through the SDK's
//! [`Reports`](gateway_sdk::Reports) handle, since an SMSC has no callback URL to call.
//! Files: [`config`] (settings), [`request`] (building `submit_sm`), [`session`] (the
//! connection, window, keep-alive and reconnects), [`status`] (`command_status` →
//! SDK error kinds), [`receipt`] (receipts → status updates).

pub mod config;
pub mod receipt;
pub mod request;
pub mod session;
pub mod status;

#[cfg(test)]
mod tests;

use config::SmppSettings;
use gateway_sdk::{
    Adapter, AdapterError, Capabilities, Channel, CreateContext, DeliveryStatus, Health, Reports,
    SendRequest, SendResult,
};
use session::Session;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// One ESME account on one SMSC.
#[derive(Debug)]
pub struct SmppAdapter {
    settings: Arc<SmppSettings>,
    session: Session,
    /// Set once by the SDK right after creation; read by the session for receipts.
    reports: Arc<OnceLock<Reports>>,
}

impl SmppAdapter {
    /// Builds an instance from parsed settings and starts connecting (on the current
    /// tokio runtime) in the background.
    pub fn from_settings(settings: SmppSettings) -> Result<Self, AdapterError> {
        settings.validate()?;
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(AdapterError::Internal {
                message: "the SMPP adapter must be created inside a tokio runtime".into(),
            });
        }
        let settings = Arc::new(settings);
        let reports = Arc::new(OnceLock::new());
        let session = Session::start(Arc::clone(&settings), Arc::clone(&reports));
        Ok(Self {
            settings,
            session,
            reports,
        })
    }

    /// The state of the link to the SMSC.
    pub fn link(&self) -> session::Link {
        self.session.link()
    }
}

#[gateway_sdk::async_trait]
impl Adapter for SmppAdapter {
    const KIND: &'static str = "smpp";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn create(settings: serde_json::Value, _ctx: CreateContext) -> Result<Self, AdapterError> {
        Self::from_settings(SmppSettings::from_json(settings)?)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            channels: vec![Channel::Sms],
            reachability_check: false,
            delivery_reports: self.settings.delivery_receipts,
            provider_renders_text: false,
            codes: None,
        }
    }

    async fn send(&self, request: SendRequest) -> Result<SendResult, AdapterError> {
        let sm = request::submit_sm(&self.settings, &request)?;
        let deadline = Duration::from_millis(request.deadline_ms.max(1));
        match self.session.submit(sm, deadline).await {
            Ok(id) => {
                tracing::debug!(message_id = %request.message_id, smsc_id = %id, "the SMSC accepted the message");
                Ok(SendResult {
                    provider_message_id: id,
                    status: DeliveryStatus::Queued,
                    segments_billed: Some(1),
                })
            }
            Err(e) => {
                tracing::info!(message_id = %request.message_id, kind = e.kind(), error = %e, "smpp send failed");
                Err(e)
            }
        }
    }

    async fn health(&self) -> Health {
        self.session.health()
    }

    fn attach_reports(&self, reports: Reports) {
        let _ = self.reports.set(reports);
    }
}
