//! [`Reports`]: how an instance pushes status updates it learns outside HTTP callbacks.
//!
//! Most providers post delivery reports to the gateway's callback URL, which the gateway
//! hands to [`Adapter::parse_callback`](crate::Adapter::parse_callback). A provider
//! reached over a persistent connection (an SMPP SMSC sending `deliver_sm` receipts)
//! has no URL to call: the adapter receives the report itself and pushes it here. The
//! SDK gives every instance a `Reports` right after `create`
//! ([`Adapter::attach_reports`](crate::Adapter::attach_reports)); the gateway connects
//! it to the same code that applies callback updates. A push either is taken by the
//! gateway (queued for its store) or is refused, so the adapter can tell its provider to
//! retry (SMPP: a temporary `deliver_sm_resp` error) instead of acknowledging a report
//! that was dropped.

use crate::StatusUpdate;
use std::sync::{Arc, RwLock};

/// Where pushed updates go: returns whether the receiver took them.
pub(crate) type Sink = Box<dyn Fn(&[StatusUpdate]) -> bool + Send + Sync>;

/// Why a push was not taken. Either way the provider should deliver the report again
/// later (it was not stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// No receiver yet: the gateway has not connected this instance (it is starting, or
    /// it is older than the push extension and will never connect it).
    #[error("no receiver for status updates is attached to this instance")]
    NotAttached,
    /// The receiver refused them (its queue is full, or it is shutting down).
    #[error("the gateway refused the status updates (busy or shutting down)")]
    Refused,
}

/// A cheap, cloneable handle an instance pushes status updates through; safe to keep in
/// background tasks that outlive the instance (pushes after the instance is destroyed
/// answer [`ReportError::NotAttached`]).
#[derive(Clone, Default)]
pub struct Reports {
    sink: Arc<RwLock<Option<Sink>>>,
}

impl std::fmt::Debug for Reports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reports")
            .field("attached", &self.is_attached())
            .finish()
    }
}

impl Reports {
    /// A handle with no receiver yet (every push answers `NotAttached`).
    pub fn detached() -> Self {
        Self::default()
    }

    /// A handle whose pushes go to `receiver` (tests, and hosts running an adapter
    /// in-process); `receiver` returns whether it took the updates.
    pub fn to_fn(receiver: impl Fn(&[StatusUpdate]) -> bool + Send + Sync + 'static) -> Self {
        let reports = Self::default();
        reports.attach(Box::new(receiver));
        reports
    }

    /// Hands `updates` to the gateway. `Ok` means the gateway took them and will apply
    /// them like a callback's; acknowledge the report to the provider only then.
    pub fn push(&self, updates: &[StatusUpdate]) -> Result<(), ReportError> {
        let guard = self.sink.read().unwrap_or_else(|p| p.into_inner());
        match guard.as_ref() {
            None => Err(ReportError::NotAttached),
            Some(sink) if sink(updates) => Ok(()),
            Some(_) => Err(ReportError::Refused),
        }
    }

    /// Whether a receiver is attached.
    pub fn is_attached(&self) -> bool {
        self.sink
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    /// Connects the receiver (replacing any earlier one).
    pub(crate) fn attach(&self, sink: Sink) {
        *self.sink.write().unwrap_or_else(|p| p.into_inner()) = Some(sink);
    }

    /// Disconnects the receiver; returns once no push is using it any more.
    pub(crate) fn detach(&self) {
        *self.sink.write().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DeliveryStatus;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn update() -> StatusUpdate {
        StatusUpdate {
            provider_message_id: "p1".into(),
            status: DeliveryStatus::Delivered,
            at: None,
            error_code: None,
            detail: None,
        }
    }

    #[test]
    fn push_reaches_the_receiver_until_detached() {
        let seen = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&seen);
        let reports = Reports::to_fn(move |u| {
            counter.fetch_add(u.len(), Ordering::SeqCst);
            true
        });
        let clone = reports.clone();
        assert_eq!(clone.push(&[update(), update()]), Ok(()));
        assert_eq!(seen.load(Ordering::SeqCst), 2);
        reports.detach();
        assert_eq!(clone.push(&[update()]), Err(ReportError::NotAttached));
        assert!(!clone.is_attached());
        assert_eq!(
            Reports::detached().push(&[update()]),
            Err(ReportError::NotAttached)
        );
        assert_eq!(
            Reports::to_fn(|_| false).push(&[update()]),
            Err(ReportError::Refused)
        );
    }
}
