//! [`Stats`]: a plain, serializable snapshot of the queue's state and counters.

use std::time::Duration;

use serde::Serialize;

/// A snapshot from [`Queue::stats`](crate::Queue::stats).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Stats {
    /// Messages queued: pending or in flight (not dead letters).
    pub depth: usize,
    /// Payload bytes of the queued messages.
    pub bytes: usize,
    /// Messages in flight: taken, not yet acked, nacked or rewound.
    pub in_flight: usize,
    /// Age of the oldest queued message, `None` when the queue is empty.
    pub oldest_unacked_age: Option<Duration>,
    /// Messages accepted by a push, ever.
    pub pushed: u64,
    /// Message transmissions (first sends and retransmissions), ever.
    pub sent: u64,
    /// Retransmissions, ever.
    pub retries: u64,
    /// Messages acked, ever.
    pub acked: u64,
    /// Messages that became dead letters, ever.
    pub dead_letters: u64,
    /// Dead letters waiting for `drain_dead_letters`.
    pub dead_letter_backlog: usize,
    /// Pushes rejected by a bound, ever.
    pub full_rejections: u64,
}

/// The monotonic counters a queue keeps.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Counters {
    pub(crate) pushed: u64,
    pub(crate) sent: u64,
    pub(crate) retries: u64,
    pub(crate) acked: u64,
    pub(crate) dead_letters: u64,
    pub(crate) full_rejections: u64,
}
