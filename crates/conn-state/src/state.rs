//! Connection ids, the four connection states and the transition table.
//!
//! The table is the single source of truth for which operation is legal in which state: the
//! registry consults [`ConnState::apply`] before changing anything, so an illegal operation is
//! refused without touching the registry.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The id of a tracked connection.
///
/// The registry keys connections by a plain `u64` newtype rather than a generic key so that
/// errors, events and the sweeper's closer stay non-generic and cheap to copy. A caller with
/// richer keys (socket addresses, session tokens) keeps its own map to a `ConnId`, typically
/// from a counter. An id may be reused once its connection has been removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ConnId(pub u64);

impl From<u64> for ConnId {
    fn from(id: u64) -> Self {
        Self(id)
    }
}

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "conn#{}", self.0)
    }
}

/// The state of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ConnState {
    /// Open and usable; watched for idleness.
    Active,
    /// A close was started and has a deadline; watched for a close that never completes.
    Closing,
    /// A close failed or timed out; force-closed again after a delay, a bounded number of times.
    Failed,
    /// Closed and no longer tracked. The registry never stores a connection in this state.
    Closed,
}

/// An operation a caller applies to a tracked connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Op {
    /// Records activity: `Active -> Active`.
    Touch,
    /// Starts a close: `Active -> Closing`.
    BeginClose,
    /// Confirms a close: `Closing | Failed -> Closed` (the connection is removed).
    CloseConfirmed,
    /// Records a failed close: `Closing | Failed -> Failed` (a retry is scheduled).
    CloseFailed,
}

impl ConnState {
    /// The transition table: the state after `op`, or `None` when `op` is illegal here.
    ///
    /// | from \ op | Touch  | BeginClose | CloseConfirmed | CloseFailed |
    /// |-----------|--------|------------|----------------|-------------|
    /// | Active    | Active | Closing    | -              | -           |
    /// | Closing   | -      | -          | Closed         | Failed      |
    /// | Failed    | -      | -          | Closed         | Failed      |
    /// | Closed    | -      | -          | -              | -           |
    pub fn apply(self, op: Op) -> Option<ConnState> {
        use ConnState::{Active, Closed, Closing, Failed};
        match (self, op) {
            (Active, Op::Touch) => Some(Active),
            (Active, Op::BeginClose) => Some(Closing),
            (Closing | Failed, Op::CloseConfirmed) => Some(Closed),
            (Closing | Failed, Op::CloseFailed) => Some(Failed),
            _ => None,
        }
    }

    /// Whether the connection is gone for good (only [`ConnState::Closed`]).
    pub fn is_terminal(self) -> bool {
        self == ConnState::Closed
    }
}

impl Op {
    /// The state this operation moves a connection to when it is legal.
    pub fn target(self) -> ConnState {
        match self {
            Op::Touch => ConnState::Active,
            Op::BeginClose => ConnState::Closing,
            Op::CloseConfirmed => ConnState::Closed,
            Op::CloseFailed => ConnState::Failed,
        }
    }
}

impl fmt::Display for ConnState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            ConnState::Active => "active",
            ConnState::Closing => "closing",
            ConnState::Failed => "failed",
            ConnState::Closed => "closed",
        };
        f.write_str(name)
    }
}
