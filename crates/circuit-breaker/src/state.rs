//! The plain values a breaker hands out: states, admissions, permits, outcomes, transitions
//! and statistics.

use std::time::Instant;

use serde::Serialize;

/// The breaker's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// Calls flow; outcomes are counted.
    Closed,
    /// Calls are rejected until `until`, when the next admission moves to HalfOpen.
    Open {
        /// The instant the open duration ends.
        until: Instant,
    },
    /// A limited number of trial calls decide between Closed and Open.
    HalfOpen,
}

/// [`State`] without its instant, for serialization and counting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StateKind {
    /// See [`State::Closed`].
    #[default]
    Closed,
    /// See [`State::Open`].
    Open,
    /// See [`State::HalfOpen`].
    HalfOpen,
}

/// The answer to [`crate::CircuitBreaker::admit`].
#[derive(Debug)]
#[must_use = "an allowed permit must be passed back to record or cancel"]
pub enum Admission {
    /// The call may run; pass the permit back with its outcome.
    Allowed(Permit),
    /// The call must not run.
    Rejected {
        /// When admission may succeed again: the end of the open duration, or (HalfOpen with
        /// every trial slot taken) a hint of `now` plus the initial open duration.
        retry_at: Instant,
    },
}

/// Proof that a call was admitted, to be passed back exactly once to
/// [`crate::CircuitBreaker::record`] or [`crate::CircuitBreaker::cancel`].
///
/// It is neither `Clone` nor `Copy`, so one admission cannot be recorded twice. It remembers
/// the breaker generation (bumped on every state change) it was issued in, so a late result
/// from an earlier state is counted in [`Stats`] but never moves the breaker. A permit belongs
/// to the breaker that issued it.
#[derive(Debug, PartialEq, Eq)]
#[must_use = "a permit must be passed back to record or cancel"]
pub struct Permit {
    pub(crate) started: Instant,
    pub(crate) trial: bool,
    pub(crate) generation: u64,
}

/// How an admitted call went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Outcome {
    /// The call succeeded (it may still count as a failure if slower than `slow_call`).
    Success,
    /// The call failed.
    Failure,
}

/// A state change, queued for [`crate::CircuitBreaker::poll_event`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    /// The state left.
    pub from: State,
    /// The state entered.
    pub to: State,
    /// When the change happened.
    pub at: Instant,
}

/// Lifetime counters of one breaker.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Stats {
    /// Calls admitted (`calls = successes + failures + cancelled + outstanding`).
    pub calls: u64,
    /// Recorded calls that counted as successes.
    pub successes: u64,
    /// Recorded calls that counted as failures (slow calls included).
    pub failures: u64,
    /// Recorded successes that counted as failures for being slower than `slow_call`.
    pub slow_calls: u64,
    /// Recorded calls whose permit came from an earlier state, so they moved nothing.
    pub stale: u64,
    /// Permits given back with `cancel` (or dropped by the shared wrapper).
    pub cancelled: u64,
    /// Admissions rejected.
    pub rejected: u64,
    /// Transitions into Open.
    pub trips: u64,
    /// Transitions dropped because the event queue was full.
    pub events_dropped: u64,
    /// The current state.
    pub state: StateKind,
}

impl State {
    /// The state without its instant.
    pub fn kind(&self) -> StateKind {
        match self {
            Self::Closed => StateKind::Closed,
            Self::Open { .. } => StateKind::Open,
            Self::HalfOpen => StateKind::HalfOpen,
        }
    }
}

impl Permit {
    /// When the call was admitted; slow-call detection measures from here.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// Whether this is a HalfOpen trial call.
    pub fn is_trial(&self) -> bool {
        self.trial
    }
}

impl Admission {
    /// Whether the call was allowed.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Self::Allowed(_))
    }
}
