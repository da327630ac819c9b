//! [`Flusher`]: the driver loop that takes due batches, hands them to a sink, and acks or
//! nacks them by the outcome.

use std::fmt::Display;
use std::future::Future;

use serde::Serialize;
use tokio::sync::watch;

use crate::batch::Batch;
use crate::shared::SharedQueue;
use crate::{Payload, Seq};

/// Where a batch goes: a socket writer, a database, a test double.
///
/// Implemented for every `FnMut(Vec<(Seq, T)>) -> impl Future<Output = Result<(), E>>`.
pub trait Sink<T> {
    /// The sink's failure, logged when a batch is returned to the queue.
    type Error: Display;

    /// Sends one batch, ascending by sequence number. An error returns the whole batch to the
    /// queue for a retry after backoff.
    fn send(
        &mut self,
        batch: Vec<(Seq, T)>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

impl<T, F, Fut, E> Sink<T> for F
where
    F: FnMut(Vec<(Seq, T)>) -> Fut,
    Fut: Future<Output = Result<(), E>> + Send,
    E: Display,
{
    type Error = E;

    fn send(&mut self, batch: Vec<(Seq, T)>) -> impl Future<Output = Result<(), E>> + Send {
        self(batch)
    }
}

/// What a successful [`Sink::send`] means.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum AckMode {
    /// The batch was handed over but not confirmed: it stays in flight until the peer's ack
    /// reaches [`SharedQueue::ack`] (the WebSocket case). The default.
    #[default]
    AwaitAck,
    /// Success is the confirmation (a database write): the batch is acked at once.
    OnSuccess,
}

/// What a [`Flusher`] did, returned when it stops.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct FlusherReport {
    /// Batches handed to the sink.
    pub batches: u64,
    /// Messages handed to the sink, retransmissions included.
    pub messages: u64,
    /// Batches the sink failed (and that went back to the queue).
    pub sink_errors: u64,
}

/// Takes batches from a [`SharedQueue`] as they fall due and sends them to a [`Sink`], one
/// batch at a time. Its timer is the queue's `poll_timeout`; pushes and acks wake it early.
#[derive(Debug)]
pub struct Flusher<T, S> {
    queue: SharedQueue<T>,
    sink: S,
    mode: AckMode,
}

impl<T: Payload + Clone, S: Sink<T>> Flusher<T, S> {
    /// A flusher from `queue` to `sink`, in [`AckMode::AwaitAck`].
    pub fn new(queue: SharedQueue<T>, sink: S) -> Self {
        let mode = AckMode::default();
        Self { queue, sink, mode }
    }

    /// Sets what a successful send means.
    pub fn mode(mut self, mode: AckMode) -> Self {
        self.mode = mode;
        self
    }

    /// Shorthand for [`AckMode::OnSuccess`].
    pub fn ack_on_success(self) -> Self {
        self.mode(AckMode::OnSuccess)
    }

    /// Runs until `shutdown` holds `true` or its sender is dropped. A send in progress is
    /// finished and settled first; messages still queued stay in the queue (await
    /// [`SharedQueue::flush`] before shutting down to drain it).
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) -> FlusherReport {
        let mut report = FlusherReport::default();
        let queue = self.queue.clone();
        while !*shutdown.borrow_and_update() {
            let work = queue.work();
            tokio::pin!(work);
            work.as_mut().enable();
            let (batch, wake_at) = queue.take();
            if !batch.is_empty() {
                self.send(batch, &mut report).await;
                continue;
            }
            let sleep = async {
                match wake_at {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                changed = shutdown.changed() => if changed.is_err() { break },
                () = work => {},
                () = sleep => {},
            }
        }
        report
    }

    async fn send(&mut self, batch: Batch<T>, report: &mut FlusherReport) {
        let seqs = batch.seqs();
        report.batches += 1;
        report.messages += seqs.len() as u64;
        let settled = match self.sink.send(batch.into_items()).await {
            Ok(()) if self.mode == AckMode::OnSuccess => self.queue.ack_each(&seqs),
            Ok(()) => Ok(0),
            Err(error) => {
                report.sink_errors += 1;
                tracing::debug!(%error, messages = seqs.len(), "sink failed, batch returned to the queue");
                self.queue.nack(&seqs)
            }
        };
        if let Err(error) = settled {
            tracing::error!(%error, "the queue refused to settle a batch it handed out");
        }
    }
}
