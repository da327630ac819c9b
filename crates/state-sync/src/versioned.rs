//! The pure core: a state, its version, optimistic-concurrency updates and typed catch-up.
//!
//! No I/O, no clock, no locks: [`Versioned`] is a plain value driven by `&mut self`. The
//! async [`Synchronizer`](crate::Synchronizer) wraps one behind a mutex and adds listeners.

use serde::Serialize;

use crate::error::{Conflict, Error, Result};
use crate::history::{History, HistoryConfig};

/// A state version: 0 for the initial state, then +1 per applied update.
pub type Version = u64;

/// A state that changes by applying deltas.
///
/// `apply` is infallible on purpose: a delta type whose application can fail should make
/// the failure part of the state (or be validated before `update`), because a delta that
/// was accepted at one replica must be applicable at every other one.
pub trait Apply {
    /// The change type, kept in the history and handed to listeners.
    type Delta: Clone;

    /// Applies one delta in place.
    fn apply(&mut self, delta: &Self::Delta);

    /// The approximate size of a delta in bytes, for the history's byte bound.
    /// The default is the delta's inline size, right for plain-data deltas; types that own
    /// heap data should override it.
    fn delta_size(delta: &Self::Delta) -> usize {
        let _ = delta;
        size_of::<Self::Delta>()
    }
}

/// A state with a version and a bounded history of the deltas that produced it.
#[derive(Clone, Debug)]
pub struct Versioned<S: Apply> {
    state: S,
    version: Version,
    history: History<S::Delta>,
}

/// What a client at some version needs to reach the current state.
#[derive(Clone, Debug, PartialEq)]
pub enum CatchUp<S: Apply> {
    /// The client already has the current version.
    UpToDate,
    /// Apply these deltas in order; the versions are consecutive, starting one past the
    /// client's version and ending at the current version.
    Deltas(Vec<(Version, S::Delta)>),
    /// Replace the client's state with this one.
    Snapshot {
        /// The version of `state`.
        version: Version,
        /// The full current state.
        state: S,
        /// Why deltas could not be used.
        reason: SnapshotReason,
    },
}

/// Why a catch-up is a snapshot rather than deltas.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SnapshotReason {
    /// The client is so far behind that the history no longer retains the deltas it needs.
    TooOld,
    /// The client claims a version newer than the current one: it saw a state this
    /// instance never had (another server, or a restart), so its state cannot be trusted.
    Ahead,
}

impl<S: Apply> Versioned<S> {
    /// `state` at version 0, with a history bounded by `history`.
    pub fn new(state: S, history: HistoryConfig) -> Self {
        Self::at(state, 0, history)
    }

    /// `state` at a given `version` (for example restored from storage), with empty history.
    pub fn at(state: S, version: Version, history: HistoryConfig) -> Self {
        Self { state, version, history: History::new(history) }
    }

    /// The current state.
    pub fn state(&self) -> &S {
        &self.state
    }

    /// The current version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// Applies `delta` if the state is still at `expected`, and returns the new version.
    ///
    /// On a stale `expected` nothing changes and the typed [`Conflict`] says what the
    /// current version is: an update is never silently written over a newer state.
    pub fn update(&mut self, expected: Version, delta: S::Delta) -> Result<Version, Conflict> {
        let current = self.version;
        if expected != current {
            return Err(Conflict { expected, current });
        }
        // A u64 cannot realistically run out; refusing beats wrapping to an old version.
        let next = current.checked_add(1).ok_or(Conflict { expected, current })?;
        self.state.apply(&delta);
        let size = S::delta_size(&delta);
        self.history.push(next, delta, size);
        self.version = next;
        Ok(next)
    }

    /// The oldest version a client can be at and still catch up with deltas, if any.
    pub fn oldest_catch_up(&self) -> Option<Version> {
        self.history.oldest().map(|oldest| oldest - 1)
    }

    /// How many deltas the history retains.
    pub fn history_len(&self) -> usize {
        self.history.len()
    }

    /// The history's retained size in bytes, as measured by [`Apply::delta_size`].
    pub fn history_bytes(&self) -> usize {
        self.history.bytes()
    }
}

impl<S: Apply + Clone> Versioned<S> {
    /// What a client at `version` needs to reach the current state: nothing, the deltas
    /// since, or a snapshot with the reason deltas would not do.
    pub fn since(&self, version: Version) -> CatchUp<S> {
        if version == self.version {
            return CatchUp::UpToDate;
        }
        if version > self.version {
            return self.snapshot(SnapshotReason::Ahead);
        }
        match self.history.after(version) {
            Some(deltas) => CatchUp::Deltas(deltas),
            None => self.snapshot(SnapshotReason::TooOld),
        }
    }

    fn snapshot(&self, reason: SnapshotReason) -> CatchUp<S> {
        CatchUp::Snapshot { version: self.version, state: self.state.clone(), reason }
    }
}

impl<S: Apply> CatchUp<S> {
    /// Brings a replica at `*version` up to date: applies the deltas or replaces the state,
    /// and advances `*version`.
    ///
    /// Deltas are checked first (they must start at `*version + 1` and be consecutive); on a
    /// gap nothing is applied and [`Error::Gap`] is returned.
    pub fn apply_to(self, state: &mut S, version: &mut Version) -> Result<()> {
        match self {
            Self::UpToDate => Ok(()),
            Self::Snapshot { version: at, state: snapshot, .. } => {
                *state = snapshot;
                *version = at;
                Ok(())
            }
            Self::Deltas(deltas) => apply_deltas(deltas, state, version),
        }
    }
}

fn apply_deltas<S: Apply>(
    deltas: Vec<(Version, S::Delta)>,
    state: &mut S,
    version: &mut Version,
) -> Result<()> {
    let local = *version;
    let mut expect = local.checked_add(1);
    for (at, _) in &deltas {
        if expect != Some(*at) {
            return Err(Error::Gap { local, first: *at });
        }
        expect = at.checked_add(1);
    }
    for (at, delta) in deltas {
        state.apply(&delta);
        *version = at;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
