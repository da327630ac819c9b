//! Plain counters a window keeps about its decisions.

use std::iter::Sum;
use std::ops::AddAssign;

use serde::Serialize;

/// Counters since the window was built, plus its current size.
///
/// `checked == fresh + duplicates + rejected` always holds. An id leaves the window either by
/// TTL (`expired`) or at the bound (`evicted_early`); the second is the only way an id seen
/// within its TTL can be reported fresh again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Stats {
    /// Calls to `check_and_insert`.
    pub checked: u64,
    /// Ids reported [`Verdict::Fresh`](crate::Verdict::Fresh) and remembered.
    pub fresh: u64,
    /// Ids reported [`Verdict::Duplicate`](crate::Verdict::Duplicate).
    pub duplicates: u64,
    /// Ids forgotten because their TTL ran out (counted when they are purged or re-seen).
    pub expired: u64,
    /// Ids forgotten before their TTL to make room under [`OnFull::EvictOldest`](crate::OnFull).
    pub evicted_early: u64,
    /// Fresh ids refused under [`OnFull::Reject`](crate::OnFull) because the window was full.
    pub rejected: u64,
    /// Ids currently remembered, including expired ones not purged yet.
    pub entries: usize,
}

impl AddAssign for Stats {
    fn add_assign(&mut self, other: Self) {
        self.checked += other.checked;
        self.fresh += other.fresh;
        self.duplicates += other.duplicates;
        self.expired += other.expired;
        self.evicted_early += other.evicted_early;
        self.rejected += other.rejected;
        self.entries += other.entries;
    }
}

impl Sum for Stats {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::default(), |mut total, part| {
            total += part;
            total
        })
    }
}
