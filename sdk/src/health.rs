//! The health an instance reports from its own recent answers: an answer that needs an
//! operator (refused credentials, a wrong setting, an account that cannot pay) marks the
//! instance down with that reason until the next successful send clears it. Every
//! adapter whose provider can refuse it for such reasons keeps one [`HealthTracker`],
//! notes each send's result and returns [`HealthTracker::health`] from
//! [`Adapter::health`](crate::Adapter::health).

use crate::{AdapterError, Health};
use std::sync::{Mutex, PoisonError};

/// Why the instance is down, if it is; cheap to share (`&self` everywhere).
#[derive(Debug, Default)]
pub struct HealthTracker {
    trouble: Mutex<Option<String>>,
}

impl HealthTracker {
    /// A tracker for a healthy instance.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one result: a success clears the trouble, an error that needs an operator
    /// ([`AdapterError::needs_operator`]) sets it, any other error (a bad number, a
    /// timeout) says nothing about the instance and leaves it as it was.
    pub fn note<T>(&self, result: &Result<T, AdapterError>) {
        let mut trouble = self.trouble.lock().unwrap_or_else(PoisonError::into_inner);
        match result {
            Ok(_) => *trouble = None,
            Err(e) if e.needs_operator() => *trouble = Some(e.to_string()),
            Err(_) => {}
        }
    }

    /// Up, or down with the last error that needs an operator.
    pub fn health(&self) -> Health {
        let trouble = self.trouble.lock().unwrap_or_else(PoisonError::into_inner);
        match trouble.as_ref() {
            Some(why) => Health::down(why.clone()),
            None => Health::up(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_errors_mark_down_until_a_success() {
        let t = HealthTracker::new();
        assert_eq!(t.health(), Health::up());
        t.note::<()>(&Err(AdapterError::Auth {
            message: "token refused".into(),
        }));
        let down = t.health();
        assert!(!down.up);
        assert!(
            down.detail
                .as_deref()
                .unwrap_or("")
                .contains("token refused")
        );
        // A failure about one message says nothing about the instance.
        t.note::<()>(&Err(AdapterError::rejected("bad number")));
        t.note::<()>(&Err(AdapterError::transient("reset")));
        assert!(!t.health().up);
        t.note::<()>(&Err(AdapterError::config("sender refused")));
        assert!(
            t.health()
                .detail
                .unwrap_or_default()
                .contains("sender refused")
        );
        t.note(&Ok(()));
        assert_eq!(t.health(), Health::up());
    }
}
