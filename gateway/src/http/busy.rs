//! Which open connections are busy (just accepted and unread, or serving a request),
//! so shutdown can wait for them (see `server::drain`). The server stores a [`Conn`]
//! with each connection; the request middleware marks it [`Conn::busy`].

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Counts the open connections that are not idle between requests (just accepted and
/// not yet read, or serving a request), over all workers.
#[derive(Debug, Clone, Default)]
pub struct Connections {
    /// Connections not idle.
    not_idle: Arc<AtomicUsize>,
}

impl Connections {
    /// A newly accepted connection; kept in the connection's data until it closes.
    pub fn open(&self) -> Conn {
        self.not_idle.fetch_add(1, Ordering::SeqCst);
        Conn(Rc::new(ConnInner {
            idle: Cell::new(false),
            not_idle: self.not_idle.clone(),
        }))
    }

    /// Whether every open connection is idle between requests.
    pub fn settled(&self) -> bool {
        self.not_idle.load(Ordering::SeqCst) == 0
    }
}

/// One open connection (stored with `on_connect`, read by the request middleware).
#[derive(Debug, Clone)]
pub struct Conn(Rc<ConnInner>);

#[derive(Debug)]
struct ConnInner {
    /// Whether the connection has served a request and has none in progress.
    idle: Cell<bool>,
    /// The shared count.
    not_idle: Arc<AtomicUsize>,
}

impl Drop for ConnInner {
    fn drop(&mut self) {
        if !self.idle.get() {
            self.not_idle.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

impl Conn {
    /// Marks a request in progress until the returned guard drops.
    pub fn busy(&self) -> Busy {
        if self.0.idle.replace(false) {
            self.0.not_idle.fetch_add(1, Ordering::SeqCst);
        }
        Busy(self.clone())
    }
}

/// A request in progress on a connection.
#[derive(Debug)]
pub struct Busy(Conn);

impl Drop for Busy {
    fn drop(&mut self) {
        let inner = &(self.0).0;
        if !inner.idle.replace(true) {
            inner.not_idle.fetch_sub(1, Ordering::SeqCst);
        }
    }
}
