//! A thread-safe window: independent [`Window`]s behind their own locks, chosen by id hash.
//!
//! Each shard is bounded by `max_entries / shards` (rounded down), so the total never exceeds
//! `max_entries`. The cost of independence: a shard that receives more than its share can
//! evict early (or reject) while other shards still have room. Ids are SHA-256 digests, so
//! ordinary traffic spreads evenly.

use std::time::Instant;

use parking_lot::Mutex;

use crate::{Config, Error, MessageId, Result, Stats, Verdict, Window};

/// `N` [`Window`]s, each behind a `parking_lot::Mutex`, with `&self` methods for concurrent use.
///
/// Every operation on one id locks one shard only, so `check_and_insert` is as atomic as on a
/// plain window: of many threads presenting the same id, exactly one sees it fresh.
#[derive(Debug)]
pub struct ShardedWindow {
    shards: Box<[Mutex<Window>]>,
}

impl ShardedWindow {
    /// `config.shards` windows of `config.max_entries / config.shards` entries each.
    pub fn new(config: Config) -> Result<Self> {
        config.validate()?;
        let per_shard = config.max_entries / config.shards;
        if per_shard == 0 {
            return Err(Error::CapacityBelowShards {
                max_entries: config.max_entries,
                shards: config.shards,
            });
        }
        let shard_config = config.clone().max_entries(per_shard);
        let shards = (0..config.shards)
            .map(|_| Window::new(shard_config.clone()).map(Mutex::new))
            .collect::<Result<_>>()?;
        Ok(Self { shards })
    }

    /// [`Window::check_and_insert`] on the shard that owns `id`.
    pub fn check_and_insert(&self, id: MessageId, now: Instant) -> Verdict {
        self.shard(&id).lock().check_and_insert(id, now)
    }

    /// [`Window::contains`] on the shard that owns `id`.
    pub fn contains(&self, id: &MessageId, now: Instant) -> bool {
        self.shard(id).lock().contains(id, now)
    }

    /// [`Window::purge`] on every shard in turn; returns how many ids were forgotten.
    pub fn purge(&self, now: Instant) -> usize {
        self.shards.iter().map(|shard| shard.lock().purge(now)).sum()
    }

    /// The earliest [`Window::poll_timeout`] over the shards.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.shards.iter().filter_map(|shard| shard.lock().poll_timeout()).min()
    }

    /// Ids currently remembered over all shards (each shard read at a slightly different time).
    pub fn len(&self) -> usize {
        self.shards.iter().map(|shard| shard.lock().len()).sum()
    }

    /// Whether no shard remembers any id.
    pub fn is_empty(&self) -> bool {
        self.shards.iter().all(|shard| shard.lock().is_empty())
    }

    /// The sum of the shards' stats (each shard read at a slightly different time).
    pub fn stats(&self) -> Stats {
        self.shards.iter().map(|shard| shard.lock().stats()).sum()
    }

    /// The number of shards.
    pub fn shard_count(&self) -> usize {
        self.shards.len()
    }

    fn shard(&self, id: &MessageId) -> &Mutex<Window> {
        // The digest is uniform, so a plain modulo spreads ids evenly.
        let index = id.shard_bits() % self.shards.len() as u64;
        &self.shards[index as usize]
    }
}
