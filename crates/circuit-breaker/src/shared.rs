//! A breaker shared between tasks, with permits released on drop.
//!
//! [`SharedBreaker`] is an `Arc<parking_lot::Mutex<CircuitBreaker>>` and works without the
//! `driver` feature. Its [`PermitGuard`] cancels its permit when dropped unrecorded, so an
//! abandoned call (a future dropped mid-flight, a panic) never keeps a HalfOpen trial slot.
//!
//! With the `driver` feature, `SharedBreaker::call` wraps a future and
//! `SharedBreaker::subscribe` hands out a `tokio::sync::broadcast` receiver of every
//! [`Transition`](crate::Transition). Broadcast rather than `watch` because listeners want
//! each change, not only the latest state; its capacity is `Config::event_capacity`, and a
//! receiver that falls further behind gets `RecvError::Lagged`. With the feature on, the
//! wrapper moves transitions from the core's queue into the channel after every operation,
//! so [`CircuitBreaker::poll_event`] only sees them inside [`SharedBreaker::with`].

use std::sync::Arc;
use std::time::Instant;

use parking_lot::Mutex;

use crate::config::Config;
use crate::error::Result;
use crate::machine::CircuitBreaker;
use crate::state::{Admission, Outcome, Permit, State, Stats};

/// A cloneable handle to one breaker.
#[derive(Clone, Debug)]
pub struct SharedBreaker {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    machine: Mutex<CircuitBreaker>,
    #[cfg(feature = "driver")]
    events: tokio::sync::broadcast::Sender<crate::state::Transition>,
}

/// An admission refused by [`SharedBreaker::acquire`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rejected {
    /// When admission may succeed again (see [`Admission::Rejected`]).
    pub retry_at: Instant,
}

/// The error of a call made through the breaker.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallError<E> {
    /// The breaker refused the call; it did not run (expected while the circuit is open).
    #[error("circuit breaker rejected the call; retry at {retry_at:?}")]
    Rejected {
        /// When admission may succeed again.
        retry_at: Instant,
    },
    /// The call ran and returned this error.
    #[error("{0}")]
    Inner(E),
}

/// An admitted call. Record its outcome with [`PermitGuard::record`]; dropping it unrecorded
/// cancels the permit.
#[derive(Debug)]
#[must_use = "dropping the guard cancels the call's permit"]
pub struct PermitGuard {
    breaker: SharedBreaker,
    permit: Option<Permit>,
}

impl SharedBreaker {
    /// A shared Closed breaker, after validating `config`.
    pub fn new(config: Config) -> Result<Self> {
        CircuitBreaker::new(config).map(Self::from_breaker)
    }

    /// Shares an existing breaker.
    pub fn from_breaker(breaker: CircuitBreaker) -> Self {
        #[cfg(feature = "driver")]
        let (events, _) = tokio::sync::broadcast::channel(breaker.config().event_capacity);
        Self {
            inner: Arc::new(Inner {
                machine: Mutex::new(breaker),
                #[cfg(feature = "driver")]
                events,
            }),
        }
    }

    /// Admits one call at `now`, or says when to retry.
    pub fn acquire(&self, now: Instant) -> std::result::Result<PermitGuard, Rejected> {
        match self.with(|breaker| breaker.admit(now)) {
            Admission::Allowed(permit) => {
                Ok(PermitGuard { breaker: self.clone(), permit: Some(permit) })
            }
            Admission::Rejected { retry_at } => Err(Rejected { retry_at }),
        }
    }

    /// Runs `f` on the locked core. Keep it short: every caller of this breaker waits on it.
    pub fn with<R>(&self, f: impl FnOnce(&mut CircuitBreaker) -> R) -> R {
        let mut breaker = self.inner.machine.lock();
        let result = f(&mut breaker);
        #[cfg(feature = "driver")]
        while let Some(transition) = breaker.poll_event() {
            // Sending fails only when nobody subscribed, which is fine.
            let _ = self.inner.events.send(transition);
        }
        result
    }

    /// See [`CircuitBreaker::state`].
    pub fn state(&self) -> State {
        self.inner.machine.lock().state()
    }

    /// See [`CircuitBreaker::stats`].
    pub fn stats(&self) -> Stats {
        self.inner.machine.lock().stats()
    }

    /// See [`CircuitBreaker::poll_timeout`].
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.inner.machine.lock().poll_timeout()
    }

    /// See [`CircuitBreaker::handle_timeout`].
    pub fn handle_timeout(&self, now: Instant) {
        self.with(|breaker| breaker.handle_timeout(now));
    }
}

impl From<CircuitBreaker> for SharedBreaker {
    fn from(breaker: CircuitBreaker) -> Self {
        Self::from_breaker(breaker)
    }
}

impl PermitGuard {
    /// When the call was admitted.
    pub fn started(&self) -> Option<Instant> {
        self.permit.as_ref().map(Permit::started)
    }

    /// Whether this is a HalfOpen trial call.
    pub fn is_trial(&self) -> bool {
        self.permit.as_ref().is_some_and(Permit::is_trial)
    }

    /// Reports the call's outcome at `now`.
    pub fn record(mut self, outcome: Outcome, now: Instant) {
        if let Some(permit) = self.permit.take() {
            self.breaker.with(|breaker| breaker.record(permit, outcome, now));
        }
    }
}

impl Drop for PermitGuard {
    fn drop(&mut self) {
        if let Some(permit) = self.permit.take() {
            self.breaker.with(|breaker| breaker.cancel(permit));
        }
    }
}

#[cfg(feature = "driver")]
mod driver;

#[cfg(test)]
mod tests;
