//! One notification round: every listener runs concurrently, each under a timeout and a
//! panic catcher, and every result comes back as an [`Outcome`].
//!
//! This is the fix for the bug the crate exists for: listeners used to run under
//! `gather(return_exceptions=True)` and nobody looked at what came back. Here the round's
//! only product is the list of outcomes, one per listener, which the monitor must judge.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::join_all;
use parking_lot::Mutex;

use crate::Version;
use crate::error::FailureKind;
use crate::health::{Monitor, Outcome};
use crate::listener::{Criticality, Listener};

/// A listener with its registration.
pub(crate) struct Registered<D> {
    pub(crate) name: String,
    pub(crate) criticality: Criticality,
    pub(crate) listener: Box<dyn Listener<D>>,
}

/// Reports every listener of a round as `Cancelled` if the round is dropped before its
/// outcomes were judged, so that cancelling `update` cannot hide a critical listener's fate.
pub(crate) struct CancelGuard<'a, D> {
    pub(crate) monitor: &'a Mutex<Monitor>,
    pub(crate) version: Version,
    pub(crate) listeners: &'a [Arc<Registered<D>>],
    pub(crate) armed: bool,
}

/// Runs all `listeners` on `delta` concurrently and returns their outcomes in order.
pub(crate) async fn run<D: Sync>(
    listeners: &[Arc<Registered<D>>],
    version: Version,
    delta: &D,
    limit: Duration,
) -> Vec<Outcome> {
    join_all(listeners.iter().map(|r| call(r, version, delta, limit))).await
}

async fn call<D: Sync>(
    registered: &Registered<D>,
    version: Version,
    delta: &D,
    limit: Duration,
) -> Outcome {
    // The call itself sits inside the async block so that a panic while building the
    // listener's future is caught too.
    let invoke = async { registered.listener.on_update(version, delta).await };
    let guarded = AssertUnwindSafe(tokio::time::timeout(limit, invoke)).catch_unwind();
    let result = match guarded.await {
        Ok(Ok(Ok(()))) => Ok(()),
        Ok(Ok(Err(error))) => Err(FailureKind::Error(error.to_string())),
        Ok(Err(_elapsed)) => Err(FailureKind::Timeout(limit)),
        Err(payload) => Err(FailureKind::Panic(panic_message(payload.as_ref()))),
    };
    outcome(registered, result)
}

fn outcome<D>(registered: &Registered<D>, result: Result<(), FailureKind>) -> Outcome {
    Outcome { listener: registered.name.clone(), criticality: registered.criticality, result }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<&str>() {
        return (*message).to_owned();
    }
    if let Some(message) = payload.downcast_ref::<String>() {
        return message.clone();
    }
    "non-string panic payload".to_owned()
}

impl<D> Drop for CancelGuard<'_, D> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let outcomes = self.listeners.iter();
        let outcomes = outcomes.map(|r| outcome(r, Err(FailureKind::Cancelled))).collect();
        // The caller is gone, so the error can only be reported through the health state.
        let _ = self.monitor.lock().finish_round(self.version, outcomes);
    }
}
