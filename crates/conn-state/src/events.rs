//! What the registry reports: ghosts, removals, per-state counts and the bounded event queue.

use std::collections::VecDeque;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::state::{ConnId, ConnState};

/// Why a connection was reported as a ghost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum GhostReason {
    /// `Active` with no activity for the idle timeout; the scan moved it to `Closing`.
    Idle,
    /// `Closing` past its close deadline; the scan moved it to `Failed`.
    CloseTimedOut,
    /// `Failed` and its next force-close is due; it stays `Failed`.
    ForceCloseDue,
    /// `Failed` with the force-close budget spent; the scan removed it. Nothing to close.
    GaveUp,
}

/// A connection found by the ghost scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Ghost {
    /// The connection.
    pub id: ConnId,
    /// Why it is a ghost.
    pub reason: GhostReason,
    /// Its state when it was detected (before the scan acted on it).
    pub state: ConnState,
}

impl Ghost {
    /// Whether the caller should (force-)close the connection and report the outcome with
    /// `close_confirmed` or `close_failed`. False only for [`GhostReason::GaveUp`].
    pub fn needs_close(&self) -> bool {
        self.reason != GhostReason::GaveUp
    }
}

/// Why a connection stopped being tracked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum RemoveReason {
    /// Its close was confirmed.
    Closed,
    /// Every force-close attempt failed; it was dropped so it is not tracked forever.
    GaveUp,
}

/// The record of a connection leaving the registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Removed {
    /// The connection.
    pub id: ConnId,
    /// Why it left.
    pub reason: RemoveReason,
    /// Its last tracked state (`Closing` or `Failed`).
    pub from: ConnState,
    /// When it was opened.
    pub opened_at: Instant,
    /// Force-close attempts handed out for it.
    pub force_close_attempts: u32,
}

/// Something that happened in the registry, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Event {
    /// A connection was opened.
    Opened(ConnId),
    /// A close failed; the connection is `Failed` and will be force-closed again.
    Failed {
        /// The connection.
        id: ConnId,
        /// Force-close attempts handed out so far.
        attempts: u32,
    },
    /// A connection left the registry, closed or given up.
    Removed(Removed),
    /// The ghost scan found a connection to close.
    Ghost(Ghost),
}

/// Connections per tracked state, maintained on every transition.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Counts {
    /// Connections in `Active`.
    pub active: usize,
    /// Connections in `Closing`.
    pub closing: usize,
    /// Connections in `Failed`.
    pub failed: usize,
}

impl Counts {
    /// All tracked connections.
    pub fn total(&self) -> usize {
        self.active + self.closing + self.failed
    }

    /// Moves one connection from `from` to `to`; `None` stands for "not tracked".
    pub(crate) fn shift(&mut self, from: Option<ConnState>, to: Option<ConnState>) {
        if let Some(slot) = from.and_then(|s| self.slot(s)) {
            *slot = slot.saturating_sub(1);
        }
        if let Some(slot) = to.and_then(|s| self.slot(s)) {
            *slot += 1;
        }
    }

    fn slot(&mut self, state: ConnState) -> Option<&mut usize> {
        match state {
            ConnState::Active => Some(&mut self.active),
            ConnState::Closing => Some(&mut self.closing),
            ConnState::Failed => Some(&mut self.failed),
            ConnState::Closed => None,
        }
    }
}

/// A bounded FIFO of events that drops the oldest when full.
#[derive(Debug)]
pub(crate) struct EventQueue {
    queue: VecDeque<Event>,
    capacity: usize,
    dropped: u64,
}

impl EventQueue {
    pub(crate) fn new(capacity: usize) -> Self {
        Self { queue: VecDeque::with_capacity(capacity.min(1024)), capacity, dropped: 0 }
    }

    /// Appends `event`, dropping the oldest one when the queue is full.
    pub(crate) fn push(&mut self, event: Event) {
        if self.capacity == 0 {
            self.dropped += 1;
            return;
        }
        if self.queue.len() == self.capacity {
            self.queue.pop_front();
            self.dropped += 1;
        }
        self.queue.push_back(event);
    }

    pub(crate) fn pop(&mut self) -> Option<Event> {
        self.queue.pop_front()
    }

    pub(crate) fn dropped(&self) -> u64 {
        self.dropped
    }
}
