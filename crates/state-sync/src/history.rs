//! A bounded, contiguous log of the most recent deltas, used to answer catch-up requests.
//!
//! The log always holds the deltas of versions `oldest..=newest` with no gap: eviction only
//! removes from the front. It is bounded twice, by a count and by an approximate byte size
//! (whichever bites first), so that neither many tiny deltas nor a few huge ones can grow it
//! without limit. When a client is behind the oldest retained delta it gets a snapshot.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::Version;

/// Bounds on the retained delta history.
///
/// Setting either bound to 0 keeps no history at all: every catch-up is then a snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HistoryConfig {
    /// Most deltas retained. Default 1_000.
    pub max_deltas: usize,
    /// Most bytes retained, as measured by `Apply::delta_size`. Default 1 MiB (1_048_576).
    /// A single delta larger than this is not retained.
    pub max_bytes: usize,
}

/// The retained deltas and their running size.
#[derive(Clone, Debug)]
pub(crate) struct History<D> {
    config: HistoryConfig,
    /// `(version, delta, size)`, consecutive versions, oldest first.
    entries: VecDeque<(Version, D, usize)>,
    bytes: usize,
}

impl Default for HistoryConfig {
    fn default() -> Self {
        Self { max_deltas: 1_000, max_bytes: 1 << 20 }
    }
}

impl HistoryConfig {
    /// Sets the most deltas retained.
    pub fn max_deltas(mut self, max_deltas: usize) -> Self {
        self.max_deltas = max_deltas;
        self
    }

    /// Sets the most bytes retained.
    pub fn max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes;
        self
    }
}

impl<D: Clone> History<D> {
    /// An empty history with the given bounds.
    pub(crate) fn new(config: HistoryConfig) -> Self {
        Self { config, entries: VecDeque::new(), bytes: 0 }
    }

    /// Records the delta that produced `version`, then evicts from the front until both
    /// bounds hold. `version` must be one past the newest retained version.
    pub(crate) fn push(&mut self, version: Version, delta: D, size: usize) {
        debug_assert!(self.newest().is_none_or(|newest| newest + 1 == version));
        self.entries.push_back((version, delta, size));
        self.bytes = self.bytes.saturating_add(size);
        while self.entries.len() > self.config.max_deltas || self.bytes > self.config.max_bytes {
            match self.entries.pop_front() {
                Some((_, _, evicted)) => self.bytes -= evicted,
                None => break,
            }
        }
    }

    /// The deltas of versions `after + 1 ..= newest`, or `None` when some of them are no
    /// longer retained. Costs O(1) to locate plus a clone per returned delta.
    pub(crate) fn after(&self, after: Version) -> Option<Vec<(Version, D)>> {
        let (oldest, _, _) = self.entries.front()?;
        let first = after.checked_add(1)?;
        let skip = usize::try_from(first.checked_sub(*oldest)?).ok()?;
        if skip >= self.entries.len() {
            return None;
        }
        let deltas = self.entries.range(skip..);
        Some(deltas.map(|(v, d, _)| (*v, d.clone())).collect())
    }

    /// The version of the newest retained delta.
    pub(crate) fn newest(&self) -> Option<Version> {
        self.entries.back().map(|(version, _, _)| *version)
    }

    /// The version of the oldest retained delta.
    pub(crate) fn oldest(&self) -> Option<Version> {
        self.entries.front().map(|(version, _, _)| *version)
    }

    /// How many deltas are retained.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The retained size in bytes, as measured by `Apply::delta_size`.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(test)]
mod tests;
