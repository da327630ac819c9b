//! The deadline index behind ghost detection.
//!
//! Every tracked connection has exactly one entry, keyed by `(deadline, seq)`; the sequence
//! number makes keys unique and lets the registry remove a superseded entry in `O(log n)`
//! instead of leaving it behind. Activity (`touch`) does not move the entry at all: the
//! registry re-checks an idle deadline lazily when it comes due, so the hot path stays
//! `O(1)` and a busy connection is re-indexed at most once per idle timeout.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::state::ConnId;

/// A unique key of the index.
pub(crate) type Key = (Instant, u64);

/// Deadlines ordered by time, each pointing to its connection.
#[derive(Debug, Default)]
pub(crate) struct Deadlines {
    map: BTreeMap<Key, ConnId>,
    next_seq: u64,
}

impl Deadlines {
    /// Indexes `id` at `at` and returns the key to remove it later.
    pub(crate) fn insert(&mut self, at: Instant, id: ConnId) -> Key {
        let key = (at, self.next_seq);
        self.next_seq = self.next_seq.wrapping_add(1);
        self.map.insert(key, id);
        key
    }

    /// Removes the entry under `key`; a key that was already popped is ignored.
    pub(crate) fn remove(&mut self, key: Key) {
        self.map.remove(&key);
    }

    /// Moves the entry under `key` to `at`.
    pub(crate) fn reschedule(&mut self, key: Key, at: Instant, id: ConnId) -> Key {
        self.remove(key);
        self.insert(at, id)
    }

    /// The earliest deadline.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.map.first_key_value().map(|(key, _)| key.0)
    }

    /// Removes and returns the earliest entry when it is due at `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<ConnId> {
        let (key, _) = self.map.first_key_value()?;
        if key.0 > now {
            return None;
        }
        self.map.pop_first().map(|(_, id)| id)
    }

    /// The entries due at `now`, earliest first, without removing them.
    pub(crate) fn due(&self, now: Instant) -> impl Iterator<Item = ConnId> + '_ {
        self.map.range(..=(now, u64::MAX)).map(|(_, id)| *id)
    }

    /// The number of entries, equal to the number of tracked connections.
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether `key` is indexed for `id` (used by consistency checks in tests).
    #[cfg(test)]
    pub(crate) fn holds(&self, key: Key, id: ConnId) -> bool {
        self.map.get(&key) == Some(&id)
    }
}

/// `now + delay`, saturating at `now` on overflow. Config validation bounds every delay to a
/// year so the fallback never triggers on real clocks; the ghost scan is bounded by the index
/// size, so even a saturated deadline cannot make it loop.
pub(crate) fn after(now: Instant, delay: Duration) -> Instant {
    now.checked_add(delay).unwrap_or(now)
}
