//! Dead letters: messages the queue gave up on, kept with a reason until the owner drains them.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::Seq;

/// Why a message became a dead letter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum DeadLetterReason {
    /// The message failed `attempts` sends, reaching `Config::max_attempts`.
    AttemptsExhausted {
        /// Failed sends, equal to the configured maximum.
        attempts: u32,
    },
    /// The message waited past `Config::ttl` while not in flight.
    Expired {
        /// Its age when it expired.
        age: Duration,
    },
}

/// A message the queue gave up on. It is never dropped silently: it waits in the dead-letter
/// list, still counted against the queue's bounds, until
/// [`Queue::drain_dead_letters`](crate::Queue::drain_dead_letters) hands it to the owner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadLetter<T> {
    /// The message's sequence number.
    pub seq: Seq,
    /// The message.
    pub message: T,
    /// Why the queue gave up.
    pub reason: DeadLetterReason,
    /// How many times it was sent.
    pub sends: u32,
}

/// The undrained dead letters and their bytes.
#[derive(Debug)]
pub(crate) struct DeadLetters<T> {
    list: Vec<DeadLetter<T>>,
    bytes: usize,
}

impl<T> Default for DeadLetters<T> {
    fn default() -> Self {
        Self { list: Vec::new(), bytes: 0 }
    }
}

impl<T> DeadLetters<T> {
    pub(crate) fn push(&mut self, letter: DeadLetter<T>, size: usize) {
        self.list.push(letter);
        self.bytes += size;
    }

    pub(crate) fn drain(&mut self) -> Vec<DeadLetter<T>> {
        self.bytes = 0;
        std::mem::take(&mut self.list)
    }

    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }

    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }
}
