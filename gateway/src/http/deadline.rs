//! The request-body deadline: a client has `server.body_timeout` from the moment its
//! headers are in to deliver the whole body, however it trickles it.
//!
//! actix bounds the time to read the headers (`client_request_timeout`) but not the
//! body, so a client that declares a body and never sends it held its connection (and
//! a file descriptor) forever, even on `/v1/callbacks`, which needs no API key. The
//! deadline is a total, not an idle timeout: a byte a second does not extend it. When it
//! passes, reading the body fails with [`TimedOut`](std::io::ErrorKind::TimedOut), the
//! request is answered `408 request_timeout` and, the body being unread, actix closes
//! the connection.

use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{Error, HttpMessage};
use futures::Stream;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{Instant, Sleep};

/// The body of a request, cut off at a deadline.
struct Deadline {
    /// The body as actix reads it.
    inner: Payload,
    /// Fires when the body has taken too long; `None` once it fired.
    timer: Option<Pin<Box<Sleep>>>,
    /// The configured timeout, for the error text.
    timeout: Duration,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let Some(timer) = self.timer.as_mut() else {
            return Poll::Ready(None);
        };
        if timer.as_mut().poll(cx).is_ready() {
            self.timer = None;
            return Poll::Ready(Some(Err(timed_out(self.timeout))));
        }
        Pin::new(&mut self.inner).poll_next(cx)
    }
}

/// The error a body past its deadline reads as.
fn timed_out(timeout: Duration) -> PayloadError {
    PayloadError::Io(std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        format!(
            "the body was not received within {}s",
            timeout.as_secs_f64()
        ),
    ))
}

/// Whether a body read failed because its deadline passed.
pub fn is_timeout(err: &PayloadError) -> bool {
    matches!(err, PayloadError::Io(e) if e.kind() == std::io::ErrorKind::TimedOut)
}

/// Puts every request body under `server.body_timeout`.
pub async fn body_deadline(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if let Some(state) = req.app_data::<web::Data<AppState>>() {
        let timeout = state.config.server.body_timeout;
        let inner = req.take_payload();
        let timer = Some(Box::pin(tokio::time::sleep_until(Instant::now() + timeout)));
        let stream: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> = Box::pin(Deadline {
            inner,
            timer,
            timeout,
        });
        req.set_payload(Payload::from(stream));
    }
    next.call(req).await
}
