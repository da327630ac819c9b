//! Taking batches and keeping time: readiness, linger, backoff expiry and TTL expiry.

use std::time::{Duration, Instant};

use crate::batch::Batch;
use crate::config::BatchLimits;
use crate::dead_letter::DeadLetterReason;
use crate::queue::{Entry, MessageState, Queue};
use crate::{Payload, Seq};

impl<T: Payload> Queue<T> {
    /// When the queue next needs [`take_batch`](Queue::take_batch) under the configured batch
    /// limits: a batch falls due or a message expires. `None` when nothing is pending. An
    /// instant in the past means now. Costs O(messages waiting for retransmission).
    pub fn poll_timeout(&self) -> Option<Instant> {
        let due = self.batch_due_at(&self.config.batch);
        earliest(due, self.next_expiry())
    }

    /// When a batch under `limits` falls due: the earliest end of a retransmission backoff,
    /// or for new messages the moment they fill a batch (the oldest one's push) or else the
    /// oldest one's push plus `limits.linger`. `None` when nothing is pending.
    pub fn batch_due_at(&self, limits: &BatchLimits) -> Option<Instant> {
        earliest(self.new_due_at(limits), self.retry_due_at())
    }
}

impl<T> Queue<T> {
    pub(crate) fn take_retries(&mut self, now: Instant, limits: &BatchLimits, batch: &mut Batch<T>)
    where
        T: Clone,
    {
        for &seq in &self.retry {
            let Some(entry) = self.entry(seq) else {
                continue;
            };
            if entry.ready_at > now {
                continue;
            }
            if !batch.fits(entry.size, limits) {
                break;
            }
            batch.push(seq, entry.payload.clone(), entry.size, true);
        }
        for index in 0..batch.len() {
            let seq = batch.items()[index].0;
            self.retry.remove(&seq);
            self.mark_sending(seq);
        }
    }

    pub(crate) fn take_new(&mut self, limits: &BatchLimits, batch: &mut Batch<T>)
    where
        T: Clone,
    {
        while let Some(entry) = self.entry(self.next_new) {
            if !batch.fits(entry.size, limits) {
                break;
            }
            let (seq, size) = (self.next_new, entry.size);
            batch.push(seq, entry.payload.clone(), size, false);
            self.new_bytes -= size;
            self.next_new += 1;
            self.mark_sending(seq);
        }
    }

    /// Turns pending messages older than the TTL into dead letters. Messages in flight are
    /// left alone: their ack may still come, and a message must not end both acked and dead.
    pub(crate) fn expire(&mut self, now: Instant) {
        let Some(ttl) = self.config.ttl else {
            return;
        };
        self.expire_new(now, ttl);
        let expired: Vec<(Seq, Duration)> = (self.retry.iter())
            .filter_map(|&seq| {
                let age = now.saturating_duration_since(self.entry(seq)?.enqueued_at);
                (age >= ttl).then_some((seq, age))
            })
            .collect();
        for (seq, age) in expired {
            self.retry.remove(&seq);
            self.kill(seq, DeadLetterReason::Expired { age });
        }
        self.compact_front();
    }

    /// Expires never-sent messages from the oldest on; they were pushed in time order.
    fn expire_new(&mut self, now: Instant, ttl: Duration) {
        while let Some(entry) = self.entry(self.next_new) {
            let age = now.saturating_duration_since(entry.enqueued_at);
            if age < ttl {
                break;
            }
            let (seq, size) = (self.next_new, entry.size);
            self.new_bytes -= size;
            self.next_new += 1;
            self.kill(seq, DeadLetterReason::Expired { age });
        }
    }

    fn new_due_at(&self, limits: &BatchLimits) -> Option<Instant> {
        let oldest = self.entry(self.next_new)?.enqueued_at;
        let count = self.next_seq() - self.next_new;
        let full = count >= limits.max_count as u64 || self.new_bytes >= limits.max_bytes;
        Some(if full { oldest } else { oldest + limits.linger })
    }

    fn retry_due_at(&self) -> Option<Instant> {
        let entries = self.retry.iter().filter_map(|&seq| self.entry(seq));
        entries.map(|entry| entry.ready_at).min()
    }

    fn next_expiry(&self) -> Option<Instant> {
        let ttl = self.config.ttl?;
        let new = self.entry(self.next_new).map(|entry| entry.enqueued_at);
        let entries = self.retry.iter().filter_map(|&seq| self.entry(seq));
        let retry = entries.map(|entry| entry.enqueued_at).min();
        Some(earliest(new, retry)? + ttl)
    }

    fn mark_sending(&mut self, seq: Seq) {
        let Some(Some(entry)) = self.slot_mut(seq) else {
            return;
        };
        entry.state = MessageState::Sending;
        entry.sends = entry.sends.saturating_add(1);
        let retransmission = entry.sends > 1;
        self.in_flight += 1;
        self.counters.sent += 1;
        self.counters.retries += u64::from(retransmission);
    }

    pub(crate) fn entry(&self, seq: Seq) -> Option<&Entry<T>> {
        self.slot(seq)?.as_ref()
    }
}

fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}
