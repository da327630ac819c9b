//! The crate's one error type.

use crate::state::FailReason;

/// Errors from building or driving a reconnector.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value is out of range (caller bug, found once at construction).
    #[error("invalid reconnect config: {0}")]
    Config(&'static str),
    /// The backoff policy is invalid (caller bug, found once at construction).
    #[error("invalid backoff: {0}")]
    Backoff(#[from] backoff::Error),
    /// The circuit breaker configuration is invalid (caller bug, found once at construction).
    #[error("invalid circuit breaker: {0}")]
    Breaker(#[from] circuit_breaker::Error),
    /// Reconnection stopped for good: a critical callback failed or the policy gave up.
    /// Expected at run time; the state is [`crate::ConnState::Failed`] and stays there.
    #[error("reconnection failed: {0}")]
    Failed(FailReason),
    /// [`Reconnector::close`](crate::Reconnector) was called; expected at shutdown.
    #[error("reconnector closed")]
    Closed,
}

/// The crate's result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;
