//! Window configuration: TTL, the hard entry bound and what happens at the bound.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// What a full window does with a fresh id.
///
/// Either way the outcome is counted in [`Stats`](crate::Stats), never silent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum OnFull {
    /// Forget the oldest remembered id before its TTL to make room (counted as
    /// `evicted_early`). A re-send of that id is then reported fresh. The default: the window
    /// never refuses traffic.
    #[default]
    EvictOldest,
    /// Keep every remembered id and answer [`Verdict::Rejected`](crate::Verdict::Rejected), so
    /// the caller can refuse the message rather than risk delivering a duplicate.
    Reject,
}

/// Configuration of a [`Window`](crate::Window) or [`ShardedWindow`](crate::ShardedWindow).
///
/// The defaults remember 100 000 ids for 5 minutes, so eviction starts only above a sustained
/// ~333 fresh ids per second; above that, raise `max_entries` or choose [`OnFull::Reject`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Config {
    /// How long an id is remembered after it was first seen. Default 5 minutes (300 s).
    /// Duplicates do not extend it.
    pub ttl: Duration,
    /// Hard bound on remembered ids, and so on memory (97 bytes each plus growth slack, see
    /// the crate docs). For a sharded window each shard gets `max_entries / shards`. Default 100 000.
    pub max_entries: usize,
    /// What a full window does with a fresh id. Default [`OnFull::EvictOldest`].
    pub on_full: OnFull,
    /// Number of independently locked shards in a [`ShardedWindow`](crate::ShardedWindow);
    /// ignored by a plain window. Default 16.
    pub shards: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(300),
            max_entries: 100_000,
            on_full: OnFull::EvictOldest,
            shards: 16,
        }
    }
}

impl Config {
    /// Sets how long an id is remembered.
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Sets the hard bound on remembered ids.
    pub fn max_entries(mut self, max_entries: usize) -> Self {
        self.max_entries = max_entries;
        self
    }

    /// Sets what a full window does with a fresh id.
    pub fn on_full(mut self, on_full: OnFull) -> Self {
        self.on_full = on_full;
        self
    }

    /// Sets the shard count of a sharded window.
    pub fn shards(mut self, shards: usize) -> Self {
        self.shards = shards;
        self
    }

    /// Checks the configuration once, so that a window built from it cannot misbehave later.
    pub fn validate(&self) -> Result<()> {
        if self.max_entries == 0 {
            return Err(Error::ZeroCapacity);
        }
        if self.ttl.is_zero() {
            return Err(Error::ZeroTtl);
        }
        if self.shards == 0 {
            return Err(Error::ZeroShards);
        }
        Ok(())
    }
}
