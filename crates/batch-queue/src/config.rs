//! Queue configuration: bounds, batch limits, retry policy and the random seed.

use std::time::Duration;

use backoff::{Backoff, Jitter};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How large a batch may grow and how long new messages wait to fill it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BatchLimits {
    /// Most messages in one batch. Default 64.
    pub max_count: usize,
    /// Most payload bytes in one batch; a single larger message still goes out, alone.
    /// Default 64 KiB.
    pub max_bytes: usize,
    /// How long the oldest new message may wait for the batch to fill before the batch is
    /// released anyway. Retransmissions do not linger: they already waited their backoff.
    /// Default 5 ms; zero releases every message as soon as it is taken.
    pub linger: Duration,
}

impl Default for BatchLimits {
    fn default() -> Self {
        Self { max_count: 64, max_bytes: 64 * 1024, linger: Duration::from_millis(5) }
    }
}

impl BatchLimits {
    /// Limits of `max_count` messages, `max_bytes` bytes and the given `linger`.
    pub fn new(max_count: usize, max_bytes: usize, linger: Duration) -> Self {
        Self { max_count, max_bytes, linger }
    }

    /// Sets the most messages in one batch.
    pub fn max_count(mut self, max_count: usize) -> Self {
        self.max_count = max_count;
        self
    }

    /// Sets the most payload bytes in one batch.
    pub fn max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// Sets the linger time.
    pub fn linger(mut self, linger: Duration) -> Self {
        self.linger = linger;
        self
    }

    /// Checks that a batch can hold at least one message.
    pub fn validate(&self) -> Result<()> {
        nonzero("batch.max_count", self.max_count)?;
        nonzero("batch.max_bytes", self.max_bytes)
    }
}

/// Configuration of a [`Queue`](crate::Queue).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Config {
    /// Most messages held: queued, in flight, and dead letters not yet drained.
    /// Default 10 000.
    pub max_messages: usize,
    /// Most payload bytes held, counted like `max_messages`. Default 1 MiB (1 048 576).
    pub max_bytes: usize,
    /// Limits used by [`Queue::poll_timeout`](crate::Queue::poll_timeout) and the flusher.
    /// Default [`BatchLimits::default`]: 64 messages, 64 KiB, 5 ms linger.
    pub batch: BatchLimits,
    /// Delay before a failed message is retried. Default 100 ms initial, x2 per failure,
    /// capped at 10 s, full jitter.
    pub backoff: Backoff,
    /// Failed sends after which a message becomes a dead letter. Default 8; `u32::MAX`
    /// means retry for ever. A [`rewind`](crate::Queue::rewind) is not a failure.
    pub max_attempts: u32,
    /// Age after which a message that is not in flight becomes a dead letter.
    /// Default `None`: messages never expire.
    pub ttl: Option<Duration>,
    /// Seed of the queue's own random generator (backoff jitter). Default 0.
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_messages: 10_000,
            max_bytes: 1024 * 1024,
            batch: BatchLimits::default(),
            backoff: Backoff::new(Duration::from_millis(100), Duration::from_secs(10))
                .multiplier(2.0)
                .jitter(Jitter::Full),
            max_attempts: 8,
            ttl: None,
            seed: 0,
        }
    }
}

impl Config {
    /// Sets the most messages held.
    pub fn max_messages(mut self, max_messages: usize) -> Self {
        self.max_messages = max_messages;
        self
    }

    /// Sets the most payload bytes held.
    pub fn max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// Sets the default batch limits.
    pub fn batch(mut self, batch: BatchLimits) -> Self {
        self.batch = batch;
        self
    }

    /// Sets the retry backoff policy.
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Sets the failed sends after which a message becomes a dead letter.
    pub fn max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts;
        self
    }

    /// Sets the age after which a message not in flight becomes a dead letter.
    pub fn ttl(mut self, ttl: Option<Duration>) -> Self {
        self.ttl = ttl;
        self
    }

    /// Sets the random seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Checks the configuration once, so that the queue cannot misbehave later.
    pub fn validate(&self) -> Result<()> {
        nonzero("max_messages", self.max_messages)?;
        nonzero("max_bytes", self.max_bytes)?;
        nonzero("max_attempts", self.max_attempts as usize)?;
        if self.ttl == Some(Duration::ZERO) {
            return Err(Error::InvalidConfig { field: "ttl", problem: "must be positive or None" });
        }
        self.batch.validate()?;
        Ok(self.backoff.validate()?)
    }
}

fn nonzero(field: &'static str, value: usize) -> Result<()> {
    if value == 0 {
        return Err(Error::InvalidConfig { field, problem: "must be at least 1" });
    }
    Ok(())
}
