//! The crate's error type: every variant is a configuration mistake caught when it is made.

use std::time::Duration;

/// Errors from configuring a monitor or a built-in check.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Two checks were registered under the same name; reports key results by name (caller bug).
    #[error("a check named {0:?} is already registered")]
    DuplicateCheck(String),
    /// A check timeout or the default timeout is zero, so no check could ever finish (caller bug).
    #[error("check timeout must be greater than zero")]
    ZeroTimeout,
    /// The periodic runner was given a zero interval (caller bug).
    #[error("periodic interval must be greater than zero, got {0:?}")]
    ZeroInterval(Duration),
    /// Thresholds are not ordered `degraded_at <= unhealthy_at`, or are not numbers (caller bug).
    #[error(
        "thresholds must satisfy degraded_at <= unhealthy_at, got {degraded_at} and {unhealthy_at}"
    )]
    InvalidThresholds {
        /// The degraded threshold, formatted.
        degraded_at: String,
        /// The unhealthy threshold, formatted.
        unhealthy_at: String,
    },
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;
