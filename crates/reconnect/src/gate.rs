//! What may hold connection attempts back: a circuit breaker, behind a small trait.
//!
//! The driver asks the gate before every attempt and reports every attempt's outcome to it.
//! [`circuit_breaker::CircuitBreaker`] is the gate [`Reconnector::new`](crate::Reconnector)
//! uses; [`NoGate`] admits everything (tests, or a caller that shares one breaker between
//! clients through its own `Gate`).

use std::time::Instant;

use circuit_breaker::{Admission, CircuitBreaker, Outcome, State};

/// Admission control for connection attempts. Pure: `now` is passed in.
pub trait Gate {
    /// Proof of an admission, passed back exactly once to `record` or `cancel`.
    type Permit;

    /// Asks to run one attempt at `now`: the permit, or the instant before which no attempt
    /// is admitted.
    fn admit(&mut self, now: Instant) -> Result<Self::Permit, Instant>;

    /// Reports how an admitted attempt went. Returns the end of the open duration when the
    /// gate is open after this outcome, which makes the driver suspend and run the
    /// `on_breaker_open` fallback.
    fn record(&mut self, permit: Self::Permit, outcome: Outcome, now: Instant) -> Option<Instant>;

    /// Gives a permit back unused (the attempt was abandoned or held back by the budget).
    fn cancel(&mut self, permit: Self::Permit);
}

/// A gate that admits every attempt and never opens.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoGate;

impl Gate for NoGate {
    type Permit = ();

    fn admit(&mut self, _now: Instant) -> Result<(), Instant> {
        Ok(())
    }

    fn record(&mut self, _permit: (), _outcome: Outcome, _now: Instant) -> Option<Instant> {
        None
    }

    fn cancel(&mut self, _permit: ()) {}
}

impl Gate for CircuitBreaker {
    type Permit = circuit_breaker::Permit;

    fn admit(&mut self, now: Instant) -> Result<Self::Permit, Instant> {
        match CircuitBreaker::admit(self, now) {
            Admission::Allowed(permit) => Ok(permit),
            Admission::Rejected { retry_at } => Err(retry_at),
        }
    }

    fn record(&mut self, permit: Self::Permit, outcome: Outcome, now: Instant) -> Option<Instant> {
        CircuitBreaker::record(self, permit, outcome, now);
        // The driver reads the state directly; draining keeps the transition queue from
        // filling up and counting drops.
        while self.poll_event().is_some() {}
        match self.state() {
            State::Open { until } => Some(until),
            State::Closed | State::HalfOpen => None,
        }
    }

    fn cancel(&mut self, permit: Self::Permit) {
        CircuitBreaker::cancel(self, permit);
    }
}
