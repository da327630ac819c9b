//! The tokio side of [`SharedBreaker`]: wrapping a future and subscribing to transitions.
//!
//! Time comes from `tokio::time::Instant::now()`, so paused-clock tests drive the breaker.
//! Anyone mixing these calls with direct `acquire(now)` calls should take `now` from the same
//! clock.

use std::future::Future;
use std::time::Instant;

use tokio::sync::broadcast;

use super::{CallError, SharedBreaker};
use crate::state::{Outcome, Transition};

impl SharedBreaker {
    /// Runs `call` if the breaker admits it, counting `Err` as a failure.
    pub async fn call<T, E, F>(&self, call: F) -> Result<T, CallError<E>>
    where
        F: Future<Output = Result<T, E>>,
    {
        self.call_with(call, |result| match result {
            Ok(_) => Outcome::Success,
            Err(_) => Outcome::Failure,
        })
        .await
    }

    /// Runs `call` if the breaker admits it, classifying its result with `classify` (for
    /// example to count a "not found" error as a success). If the returned future is dropped
    /// before `call` finishes, the permit is cancelled, not recorded.
    pub async fn call_with<T, E, F, C>(&self, call: F, classify: C) -> Result<T, CallError<E>>
    where
        F: Future<Output = Result<T, E>>,
        C: FnOnce(&Result<T, E>) -> Outcome,
    {
        let guard = self
            .acquire(now())
            .map_err(|rejected| CallError::Rejected { retry_at: rejected.retry_at })?;
        let result = call.await;
        guard.record(classify(&result), now());
        result.map_err(CallError::Inner)
    }

    /// A receiver of every transition from now on (see the module docs on lag).
    pub fn subscribe(&self) -> broadcast::Receiver<Transition> {
        self.inner.events.subscribe()
    }
}

fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}
