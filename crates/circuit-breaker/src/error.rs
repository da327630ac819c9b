//! The crate's one error type.
//!
//! Every variant is a configuration mistake found once, when a breaker is built; a running
//! breaker never fails, it only rejects calls (see [`crate::Admission`]).

/// Errors from building a circuit breaker.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `failure_threshold` is zero, so the breaker would trip before any call (caller bug).
    #[error("failure_threshold must be at least 1")]
    ZeroFailureThreshold,
    /// `failure_rate_threshold` is not in `(0, 1]` or not finite (caller bug).
    #[error("failure_rate_threshold must be in (0, 1], got {0}")]
    FailureRate(f64),
    /// `window` is zero or shorter than one nanosecond per bucket (caller bug).
    #[error("window {window:?} cannot hold {buckets} buckets")]
    Window {
        /// The configured window length.
        window: std::time::Duration,
        /// The configured number of buckets.
        buckets: u32,
    },
    /// `window_buckets` is zero (caller bug).
    #[error("window_buckets must be at least 1")]
    ZeroBuckets,
    /// `minimum_calls` is zero, so a single failure would be a 100 % rate (caller bug).
    #[error("minimum_calls must be at least 1")]
    ZeroMinimumCalls,
    /// `half_open_max_calls` is zero, so the breaker could never close again (caller bug).
    #[error("half_open_max_calls must be at least 1")]
    ZeroHalfOpenCalls,
    /// `success_threshold` is zero (caller bug).
    #[error("success_threshold must be at least 1")]
    ZeroSuccessThreshold,
    /// `event_capacity` is zero (caller bug).
    #[error("event_capacity must be at least 1")]
    ZeroEventCapacity,
    /// The open-duration backoff policy is invalid (caller bug).
    #[error("invalid open-duration backoff: {0}")]
    Backoff(#[from] backoff::Error),
}

/// The crate's result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;
