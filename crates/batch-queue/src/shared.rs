//! [`SharedQueue`]: the queue behind a mutex, with async waiting for room and for a flush.
//!
//! Time comes from `tokio::time::Instant`, so tests with a paused clock stay deterministic.
//! The mutex is never held across an await.

use std::sync::Arc;
use std::time::Instant;

use parking_lot::{Mutex, MutexGuard};
use tokio::sync::Notify;

use crate::batch::Batch;
use crate::config::Config;
use crate::dead_letter::DeadLetter;
use crate::error::{Full, Result};
use crate::queue::Queue;
use crate::stats::Stats;
use crate::{Payload, Seq};

/// A [`Queue`] shared between producers, the [`Flusher`](crate::Flusher) and whoever
/// receives the peer's acks. Cloning gives another handle to the same queue.
#[derive(Debug)]
pub struct SharedQueue<T> {
    inner: Arc<Inner<T>>,
}

#[derive(Debug)]
struct Inner<T> {
    queue: Mutex<Queue<T>>,
    /// Woken when room may have appeared (ack, dead letters drained).
    room: Notify,
    /// Woken when a message may have settled (ack, dead letter).
    progress: Notify,
    /// Wakes the flusher when the next batch may be due earlier than it planned.
    work: Notify,
}

impl<T> Clone for SharedQueue<T> {
    fn clone(&self) -> Self {
        Self { inner: Arc::clone(&self.inner) }
    }
}

impl<T: Payload> SharedQueue<T> {
    /// A shared queue with a validated `config`.
    pub fn new(config: Config) -> Result<Self> {
        Ok(Self::from_queue(Queue::new(config)?))
    }

    /// Shares an existing queue.
    pub fn from_queue(queue: Queue<T>) -> Self {
        let inner = Inner {
            queue: Mutex::new(queue),
            room: Notify::new(),
            progress: Notify::new(),
            work: Notify::new(),
        };
        Self { inner: Arc::new(inner) }
    }

    /// Queues `message` now, or hands it back if a bound would be exceeded.
    pub fn try_push(&self, message: T) -> std::result::Result<Seq, Full<T>> {
        let seq = self.lock().try_push(message, now())?;
        self.inner.work.notify_one();
        Ok(seq)
    }

    /// Queues `message`, waiting for acks to make room. Fails at once, handing the message
    /// back, when waiting cannot help: the message can never fit
    /// ([`Bound::TooLarge`](crate::Bound::TooLarge)) or undrained dead letters take the room
    /// ([`Bound::DeadLetters`](crate::Bound::DeadLetters)).
    pub async fn push(&self, message: T) -> std::result::Result<Seq, Full<T>> {
        let size = message.size();
        loop {
            let room = self.inner.room.notified();
            tokio::pin!(room);
            room.as_mut().enable();
            {
                let mut queue = self.lock();
                if !queue.waits_for_acks(size) {
                    let seq = queue.try_push(message, now())?;
                    drop(queue);
                    self.inner.work.notify_one();
                    return Ok(seq);
                }
            }
            room.await;
        }
    }

    /// Cumulative ack, see [`Queue::ack`].
    pub fn ack(&self, up_to: Seq) -> Result<usize> {
        self.update(|queue| queue.ack(up_to))
    }

    /// Selective ack, see [`Queue::ack_each`].
    pub fn ack_each(&self, seqs: &[Seq]) -> Result<usize> {
        self.update(|queue| queue.ack_each(seqs))
    }

    /// Failed send, see [`Queue::nack`].
    pub fn nack(&self, seqs: &[Seq]) -> Result<usize> {
        self.update(|queue| queue.nack(seqs, now()))
    }

    /// Resume after a reconnect, see [`Queue::rewind`].
    pub fn rewind(&self, after: Seq) -> Result<usize> {
        self.update(|queue| queue.rewind(after, now()))
    }

    /// Hands the dead letters to the owner, freeing their room.
    pub fn drain_dead_letters(&self) -> Vec<DeadLetter<T>> {
        self.update(Queue::drain_dead_letters)
    }

    /// A snapshot of sizes and counters.
    pub fn stats(&self) -> Stats {
        self.lock().stats(now())
    }

    /// Runs `f` on the queue under the lock, then wakes every waiter, since `f` may have
    /// changed anything. Do not block inside `f`.
    pub fn update<R>(&self, f: impl FnOnce(&mut Queue<T>) -> R) -> R {
        let result = f(&mut self.lock());
        self.inner.room.notify_waiters();
        self.inner.progress.notify_waiters();
        self.inner.work.notify_one();
        result
    }

    /// Resolves once every message pushed before the call is acked or dead-lettered. With
    /// [`AckMode::AwaitAck`](crate::AckMode::AwaitAck) this needs the peer's acks.
    pub async fn flush(&self) {
        let target = self.lock().next_seq() - 1;
        loop {
            let progress = self.inner.progress.notified();
            tokio::pin!(progress);
            progress.as_mut().enable();
            if self.lock().settled_through(target) {
                return;
            }
            progress.await;
        }
    }

    /// Takes a batch under the configured limits and says when to look again.
    pub(crate) fn take(&self) -> (Batch<T>, Option<Instant>)
    where
        T: Clone,
    {
        let mut queue = self.lock();
        let dead_before = queue.counters.dead_letters;
        let limits = queue.config().batch;
        let batch = queue.take_batch(now(), limits);
        let wake_at = queue.poll_timeout();
        let expired = queue.counters.dead_letters != dead_before;
        drop(queue);
        if expired {
            self.inner.progress.notify_waiters();
        }
        (batch, wake_at)
    }

    /// A future that completes when the flusher should look at the queue again.
    pub(crate) fn work(&self) -> tokio::sync::futures::Notified<'_> {
        self.inner.work.notified()
    }

    fn lock(&self) -> MutexGuard<'_, Queue<T>> {
        self.inner.queue.lock()
    }
}

fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}
