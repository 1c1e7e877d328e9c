//! Running the future of an asynchronous call (`send`, `check_reachable`, `health`):
//! polled once on the calling thread, handed to the library runtime only if it must wait.
//!
//! Under load the boundary's cost is not the JSON but two thread hops: host worker →
//! library worker (a spawn) → host worker (the completion wakes the host's task from a
//! foreign thread). A future that can answer without waiting (a mock, a validation
//! error, a local throttle decision) needs neither hop, so [`run`] polls it once right
//! here, inside the library runtime's context (tokio timers, I/O and `tokio::spawn` work
//! and bind to the library's runtime) with a no-op waker, and answers before the C
//! function returns. Only a future that returns `Pending` is spawned; the runtime polls
//! it again at once with a real waker, which every future registers anew on each poll
//! (the `Future` contract), so nothing is lost by the first waker being a no-op.
//!
//! It never blocks: there is exactly one inline poll, never a `block_on`. The adapter's
//! code up to its first real wait does run on the host's thread, which is why adapter
//! code must not block inside `async` code (the usual tokio rule).
//!
//! Exactly one answer: the [`Completer`] stays outside the polled future and is consumed
//! by whichever path finishes it. A panic during either poll is caught by
//! `catch_unwind` around the future and answered as `AdapterError::Internal`.

use super::completion::{Completer, panic_message};
use crate::AdapterError;
use futures::FutureExt as _;
use serde::Serialize;
use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::task::{Context, Poll, Waker};
use tokio::runtime::Runtime;
use tracing::Dispatch;
use tracing::instrument::WithSubscriber as _;

/// What a call's future produced: its own result, or the payload of a panic.
type Outcome<T, E> = Result<Result<T, E>, Box<dyn Any + Send>>;

/// Runs `fut` for `call` and answers `completer` with its outcome, inline if the first
/// poll finishes it, otherwise from the library runtime.
pub(super) fn run<T, E, F>(
    runtime: &'static Runtime,
    dispatch: &Dispatch,
    call: &'static str,
    completer: Completer,
    fut: F,
) where
    T: Serialize,
    E: Serialize,
    F: Future<Output = Result<T, E>> + Send + 'static,
{
    // The dispatch is made current around every poll, inline or on the runtime.
    let caught = AssertUnwindSafe(fut.with_subscriber(dispatch.clone())).catch_unwind();
    let mut caught = Box::pin(caught);
    let first = {
        let _entered = runtime.enter();
        caught
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
    };
    match first {
        Poll::Ready(outcome) => answer(call, completer, outcome),
        Poll::Pending => {
            runtime.spawn(async move { answer(call, completer, caught.await) });
        }
    }
}

fn answer<T: Serialize, E: Serialize>(
    call: &'static str,
    completer: Completer,
    outcome: Outcome<T, E>,
) {
    match outcome {
        Ok(Ok(value)) => completer.ok(&value),
        Ok(Err(error)) => completer.err(&error),
        Err(payload) => completer.err(&AdapterError::Internal {
            message: panic_message(call, &*payload),
        }),
    }
}
