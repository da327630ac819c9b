//! The observable connection states and why a reconnector gave up.
//!
//! The driver publishes every change through a `tokio::sync::watch` channel
//! ([`Reconnector::subscribe`](crate::Reconnector)), so a UI or a health check always sees the
//! latest state without polling the driver.

use std::fmt;
use std::time::{Duration, Instant};

use crate::callbacks::Hook;

/// Where a client connection stands.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnState {
    /// The first connection attempt is about to run or running (the initial state).
    Connecting,
    /// A connection is up.
    Connected,
    /// Waiting `delay` before retry `attempt` (0-based, as passed to
    /// [`Policy::next_delay`](crate::Policy::next_delay)), or running it once the delay has
    /// passed. A wait imposed by an exhausted retry budget is shown the same way.
    Reconnecting {
        /// The 0-based retry index since the connection was lost.
        attempt: u32,
        /// How long the driver waits before that retry.
        delay: Duration,
    },
    /// The circuit breaker is open: no attempt is made before `until`, when one trial runs.
    Suspended {
        /// The end of the breaker's open duration.
        until: Instant,
    },
    /// Reconnection stopped for good; see the reason.
    Failed {
        /// Why it stopped.
        reason: FailReason,
    },
    /// Closed on request; no further attempts.
    Closed,
}

/// Why reconnection stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailReason {
    /// A callback registered as [`Criticality::Critical`](crate::Criticality) returned an error
    /// or panicked.
    CriticalCallback {
        /// The lifecycle hook it was registered on.
        hook: Hook,
        /// The name it was registered with.
        name: String,
        /// The error's display text or the panic message.
        message: String,
    },
    /// The policy's `max_attempts` or `max_elapsed` ran out.
    GaveUp {
        /// Connection attempts made since the connection was lost.
        attempts: u32,
        /// The last attempt's error.
        last_error: String,
    },
}

impl ConnState {
    /// Whether the state is final (`Failed` or `Closed`).
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Failed { .. } | Self::Closed)
    }
}

impl fmt::Display for FailReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CriticalCallback { hook, name, message } => {
                write!(f, "critical {hook} callback {name:?} failed: {message}")
            }
            Self::GaveUp { attempts, last_error } => {
                write!(f, "gave up after {attempts} attempts: {last_error}")
            }
        }
    }
}
