//! The queue that carries status updates an adapter pushes itself (an SMPP session's
//! receipts) from the adapter's thread to the gateway, which applies them in
//! `flows::pushed`. Here, below the flows, because the loader hands each instance its
//! sink at load time.

use gateway_sdk::StatusUpdate;
use tokio::sync::mpsc;

/// Pushed batches waiting to be applied, at most this many.
pub const QUEUE_CAPACITY: usize = 4096;

/// One pushed batch: the instance name and its updates.
type Batch = (String, Vec<StatusUpdate>);

/// The sending side, handed to the adapter loader.
#[derive(Debug, Clone)]
pub struct ReportQueue {
    tx: mpsc::Sender<Batch>,
}

/// The receiving side, drained by `flows::pushed::apply_pushed`.
#[derive(Debug)]
pub struct ReportReceiver {
    rx: mpsc::Receiver<Batch>,
}

impl ReportReceiver {
    /// The next batch: the instance name and its updates; `None` once every sender
    /// is gone.
    pub async fn recv(&mut self) -> Option<Batch> {
        self.rx.recv().await
    }
}

/// A new queue of [`QUEUE_CAPACITY`] batches.
pub fn report_queue() -> (ReportQueue, ReportReceiver) {
    let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
    (ReportQueue { tx }, ReportReceiver { rx })
}

impl ReportQueue {
    /// The sink for instance `name`: queues a batch and says whether it was taken
    /// (never blocks: it runs on the adapter's thread).
    pub fn sink_for(
        &self,
        name: &str,
    ) -> impl Fn(Vec<StatusUpdate>) -> bool + Send + Sync + 'static {
        let tx = self.tx.clone();
        let name = name.to_owned();
        move |updates| {
            let taken = tx.try_send((name.clone(), updates)).is_ok();
            if !taken {
                tracing::warn!(adapter = %name, "pushed status updates refused: the queue is full");
            }
            taken
        }
    }
}
