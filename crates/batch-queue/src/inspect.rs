//! Read-only views of a [`Queue`]: sizes, per-message state, stats.

use std::time::Instant;

use crate::Seq;
use crate::config::Config;
use crate::queue::{MessageState, Queue};
use crate::stats::Stats;

impl<T> Queue<T> {
    /// Messages queued (pending or in flight), not counting dead letters.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Whether no message is queued.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Payload bytes of the queued messages, not counting dead letters.
    pub fn bytes(&self) -> usize {
        self.live_bytes
    }

    /// Messages in flight.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// The sequence number the next push will get.
    pub fn next_seq(&self) -> Seq {
        self.base + self.slots.len() as u64
    }

    /// The highest sequence number ever taken (0 before the first batch): acks above it are
    /// errors.
    pub fn highest_sent(&self) -> Seq {
        self.next_new - 1
    }

    /// Dead letters waiting for [`drain_dead_letters`](Queue::drain_dead_letters).
    pub fn dead_letter_backlog(&self) -> usize {
        self.dead.len()
    }

    /// The state of a queued message; `None` once it is acked or dead (or was never pushed).
    pub fn state(&self, seq: Seq) -> Option<MessageState> {
        self.entry(seq).map(|entry| entry.state)
    }

    /// A queued message's payload.
    pub fn get(&self, seq: Seq) -> Option<&T> {
        self.entry(seq).map(|entry| &entry.payload)
    }

    /// Whether every message up to and including `seq` has been acked or dead-lettered.
    pub fn settled_through(&self, seq: Seq) -> bool {
        self.slots.is_empty() || self.base > seq
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// A snapshot of sizes and counters; `now` dates the oldest message's age.
    pub fn stats(&self, now: Instant) -> Stats {
        let oldest = self.slots.front().and_then(Option::as_ref);
        let c = &self.counters;
        Stats {
            depth: self.live,
            bytes: self.live_bytes,
            in_flight: self.in_flight,
            oldest_unacked_age: oldest.map(|e| now.saturating_duration_since(e.enqueued_at)),
            pushed: c.pushed,
            sent: c.sent,
            retries: c.retries,
            acked: c.acked,
            dead_letters: c.dead_letters,
            dead_letter_backlog: self.dead.len(),
            full_rejections: c.full_rejections,
        }
    }
}
