//! The single-threaded dedup window: a hash map for lookups plus a FIFO of insertions for expiry.
//!
//! Invariants:
//! - every remembered id has exactly one queue entry whose instant equals its map value; other
//!   queue entries (left behind when an expired id was re-inserted before being purged) are
//!   stale and are dropped uncounted when they reach the front;
//! - the queue is ordered by instant, because the window's clock never goes backwards;
//! - `queue.len() <= max_entries`, so `map.len() <= max_entries` too.

use std::collections::VecDeque;
use std::collections::hash_map::{Entry, HashMap};
use std::time::{Duration, Instant};

use crate::{Config, MessageId, OnFull, Result, Stats};

/// At most this many expired ids are purged per `check_and_insert`. Each call adds at most one
/// id, so a backlog of expired ids shrinks steadily while each call's work stays bounded.
const EXPIRE_PER_CALL: usize = 8;

/// The answer of [`Window::check_and_insert`].
#[must_use]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Not seen within the TTL (or forgotten early, which is counted): process the message.
    /// The id is now remembered.
    Fresh,
    /// Seen within the TTL: drop the message. The TTL of the id is not extended.
    Duplicate,
    /// Not seen, but the window is full under [`OnFull::Reject`]: refuse the message. The id is
    /// not remembered.
    Rejected,
}

impl Verdict {
    /// Whether the message should be processed.
    pub fn is_fresh(self) -> bool {
        self == Self::Fresh
    }
}

/// Remembers message ids for a TTL, with a hard bound on their number.
///
/// An id first seen at `t` is a duplicate for any `now` in `[t, t + ttl)` and fresh again from
/// `t + ttl`. Instants earlier than one already seen are treated as that latest instant, so a
/// clock stepping back never reorders expiry.
#[derive(Debug)]
pub struct Window {
    config: Config,
    /// Remembered ids and the instant each was (last) inserted.
    seen: HashMap<MessageId, Instant>,
    /// Insertions in order, oldest first: the expiry and eviction order.
    order: VecDeque<(Instant, MessageId)>,
    stats: Stats,
}

impl Window {
    /// A window with a validated `config`. Memory grows with use, up to `max_entries`.
    pub fn new(config: Config) -> Result<Self> {
        config.validate()?;
        Ok(Self { config, seen: HashMap::new(), order: VecDeque::new(), stats: Stats::default() })
    }

    /// Reports whether `id` was seen within the TTL and, if not, remembers it, with one table
    /// lookup. Also purges up to a small constant number of expired ids.
    pub fn check_and_insert(&mut self, id: MessageId, now: Instant) -> Verdict {
        let now = self.clamp(now);
        self.stats.checked += 1;
        self.expire_front(now, EXPIRE_PER_CALL);
        // After a purge attempt a full queue has a live front (a purge would have made room),
        // so the bound policy only ever applies to ids within their TTL.
        let full = self.order.len() >= self.config.max_entries;
        let ttl = self.config.ttl;
        match self.seen.entry(id) {
            Entry::Occupied(seen) if is_live(*seen.get(), now, ttl) => {
                self.stats.duplicates += 1;
                return Verdict::Duplicate;
            }
            _ if full => return self.on_full(id, now),
            Entry::Occupied(mut seen) => {
                seen.insert(now);
                self.stats.expired += 1;
            }
            Entry::Vacant(slot) => {
                slot.insert(now);
            }
        }
        self.order.push_back((now, id));
        self.stats.fresh += 1;
        Verdict::Fresh
    }

    /// Whether `id` is remembered and within its TTL at `now`, without changing anything.
    pub fn contains(&self, id: &MessageId, now: Instant) -> bool {
        let now = self.clamp(now);
        self.seen.get(id).is_some_and(|&at| is_live(at, now, self.config.ttl))
    }

    /// Forgets every id whose TTL ran out by `now`; returns how many. Work is proportional to
    /// that number. Call it at [`poll_timeout`](Self::poll_timeout) to release memory while idle.
    pub fn purge(&mut self, now: Instant) -> usize {
        let now = self.clamp(now);
        self.expire_front(now, usize::MAX)
    }

    /// When the oldest remembered id expires, if any; `None` also if that is beyond `Instant`.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let &(at, _) = self.order.front()?;
        at.checked_add(self.config.ttl)
    }

    /// Ids currently remembered, including expired ones not purged yet.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether no id is remembered.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// Counters and current size.
    pub fn stats(&self) -> Stats {
        Stats { entries: self.seen.len(), ..self.stats }
    }

    /// The configuration the window was built with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// `now`, but never earlier than the newest insertion, which keeps the queue ordered.
    fn clamp(&self, now: Instant) -> Instant {
        self.order.back().map_or(now, |&(at, _)| at.max(now))
    }

    /// Applies the bound policy to a fresh id when the queue is full of live ids.
    fn on_full(&mut self, id: MessageId, now: Instant) -> Verdict {
        if self.config.on_full == OnFull::Reject {
            self.stats.rejected += 1;
            return Verdict::Rejected;
        }
        if let Some((at, oldest)) = self.order.pop_front()
            && self.forget_if_current(oldest, at)
        {
            self.stats.evicted_early += 1;
        }
        // No expired id is left in the table here: a queue still full after the purge had
        // every expired entry popped, so `id` is new to the table.
        self.seen.insert(id, now);
        self.order.push_back((now, id));
        self.stats.fresh += 1;
        Verdict::Fresh
    }

    /// Pops up to `budget` expired queue entries; returns how many ids were forgotten.
    fn expire_front(&mut self, now: Instant, budget: usize) -> usize {
        let mut forgotten = 0;
        for _ in 0..budget {
            match self.order.front() {
                Some(&(at, _)) if !is_live(at, now, self.config.ttl) => {}
                _ => break,
            }
            if let Some((at, id)) = self.order.pop_front()
                && self.forget_if_current(id, at)
            {
                forgotten += 1;
            }
        }
        self.stats.expired += forgotten as u64;
        forgotten
    }

    /// Removes `id` if the queue entry inserted at `at` is its current one, not a stale one.
    fn forget_if_current(&mut self, id: MessageId, at: Instant) -> bool {
        match self.seen.entry(id) {
            Entry::Occupied(seen) if *seen.get() == at => {
                seen.remove();
                true
            }
            _ => false,
        }
    }
}

/// Whether an id inserted at `at` is still remembered at `now`.
fn is_live(at: Instant, now: Instant, ttl: Duration) -> bool {
    now.saturating_duration_since(at) < ttl
}
