//! The crate's error type, and [`Full`], the push rejection that hands the message back.

use crate::Seq;

/// Errors of the queue.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A push was rejected; the message itself travels in [`Full`], which converts into this
    /// variant only when the caller chooses to drop it. Expected at run time (backpressure).
    #[error("queue full: {bound}")]
    Full {
        /// The bound that rejected the message.
        bound: Bound,
    },
    /// An acknowledgement or rewind names a sequence number that was never sent. A peer or
    /// caller bug; the queue is left unchanged.
    #[error("ack for seq {seq} beyond the highest sent seq {highest_sent}")]
    AckBeyondSent {
        /// The sequence number acknowledged.
        seq: Seq,
        /// The highest sequence number ever sent (0 if none).
        highest_sent: Seq,
    },
    /// A negative acknowledgement names a sequence number that was never sent. A caller bug;
    /// the queue is left unchanged.
    #[error("nack for seq {seq}, which was never sent")]
    UnknownSeq {
        /// The sequence number named.
        seq: Seq,
    },
    /// A configuration field is out of range. A caller bug, reported once at construction.
    #[error("invalid config: {field} {problem}")]
    InvalidConfig {
        /// The field's name.
        field: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The backoff policy is invalid. A caller bug, reported once at construction.
    #[error("invalid backoff policy: {0}")]
    Backoff(#[from] backoff::Error),
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// Which bound rejected a push.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Bound {
    /// The queue holds `limit` messages already; room comes back as messages are acked.
    #[error("{limit} messages held")]
    Messages {
        /// The configured `max_messages`.
        limit: usize,
    },
    /// The payload would push the held bytes past `limit`; room comes back with acks.
    #[error("payload bytes would exceed {limit}")]
    Bytes {
        /// The configured `max_bytes`.
        limit: usize,
    },
    /// Undrained dead letters take the room this push needs: drain them with
    /// `drain_dead_letters`. Acks alone would not help, so an async push does not wait.
    #[error("{backlog} undrained dead letters fill the queue")]
    DeadLetters {
        /// Dead letters waiting to be drained.
        backlog: usize,
    },
    /// The payload alone is larger than the queue's byte bound: it can never fit, so waiting
    /// for room is pointless.
    #[error("payload of {size} bytes is larger than the {limit}-byte bound")]
    TooLarge {
        /// The payload's size.
        size: usize,
        /// The configured `max_bytes`.
        limit: usize,
    },
}

/// A rejected push: the message comes back to the caller, so nothing is lost.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("queue full: {bound}")]
pub struct Full<T> {
    /// The message that was not queued.
    pub message: T,
    /// The bound that rejected it.
    pub bound: Bound,
}

impl<T> Full<T> {
    /// Takes the message back.
    pub fn into_message(self) -> T {
        self.message
    }

    /// Whether acks will make room, so that waiting helps: false for
    /// [`Bound::TooLarge`] (never fits) and [`Bound::DeadLetters`] (needs a drain).
    pub fn is_transient(&self) -> bool {
        matches!(self.bound, Bound::Messages { .. } | Bound::Bytes { .. })
    }
}

impl<T> From<Full<T>> for Error {
    fn from(full: Full<T>) -> Self {
        Error::Full { bound: full.bound }
    }
}
