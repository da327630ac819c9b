//! The crate's error type.

use crate::state::{ConnId, ConnState};

/// Errors from the registry and its configuration.
///
/// A refused operation never changes the registry: the state before the call is the state after.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `open` was called with an id that is still tracked (caller bug: ids must be unique
    /// among live connections).
    #[error("connection {0} is already tracked")]
    DuplicateConnection(ConnId),
    /// The id is not tracked, usually because the connection was already closed or given up
    /// by the sweeper (expected at run time under races).
    #[error("connection {0} is not tracked")]
    UnknownConnection(ConnId),
    /// The operation is not legal in the connection's current state, for example a second
    /// `begin_close` (expected at run time when several tasks race to close one connection).
    #[error("connection {id}: illegal transition {from} -> {to}")]
    IllegalTransition {
        /// The connection.
        id: ConnId,
        /// Its current, unchanged state.
        from: ConnState,
        /// The state the refused operation would have moved it to.
        to: ConnState,
    },
    /// A configuration value is out of range (caller bug).
    #[error("invalid conn-state config: {field} {reason}")]
    InvalidConfig {
        /// The offending field.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
