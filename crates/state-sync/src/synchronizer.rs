//! The async synchronizer: a [`Versioned`] state plus listeners judged by criticality.
//!
//! Updates are serialized: each one commits, then notifies every listener and judges every
//! outcome before the next update starts, so listeners see versions in order and the health
//! that gates the next update reflects the previous round. Reads (`since`, `snapshot`,
//! `version`, `health`) never wait for a round.
//!
//! **A critical failure keeps the committed state.** By the time listeners run, the state
//! has changed and other readers may already have seen the new version; rolling back would
//! need inverse deltas, would race with those readers, and would still not undo whatever the
//! successful listeners did with it. So the version stays, the update returns
//! [`Error::CriticalListenerFailed`] naming the listeners, and the synchronizer refuses
//! updates ([`Error::InError`]) until the application has dealt with it (for example
//! re-sent the snapshot to the failed sink) and called [`Synchronizer::recover`].

use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

use crate::config::SyncConfig;
use crate::error::{Error, ListenerFailure, Result};
use crate::health::{Health, Monitor};
use crate::listener::{Criticality, Listener};
use crate::round::{self, CancelGuard, Registered};
use crate::stats::Stats;
use crate::{Apply, CatchUp, Version, Versioned};

/// Versioned state whose every committed update is observed by listeners whose failures are
/// inspected and classified. See the [module docs](self) for the rules.
pub struct Synchronizer<S: Apply> {
    core: Mutex<Versioned<S>>,
    listeners: RwLock<Vec<Arc<Registered<S::Delta>>>>,
    monitor: Mutex<Monitor>,
    /// Held for a whole update, commit to judged round; tokio's mutex is FIFO.
    round: tokio::sync::Mutex<()>,
    config: SyncConfig,
}

/// A successful update.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Committed {
    /// The version the update produced.
    pub version: Version,
    /// Non-critical listeners that failed on this update (the synchronizer is `Degraded`
    /// when this is not empty).
    pub non_critical_failures: Vec<ListenerFailure>,
}

impl<S> Synchronizer<S>
where
    S: Apply + Send,
    S::Delta: Send + Sync + 'static,
{
    /// A synchronizer for `state` at version 0, with no listeners.
    pub fn new(state: S, config: SyncConfig) -> Result<Self> {
        config.validate()?;
        Ok(Self {
            core: Mutex::new(Versioned::new(state, config.history)),
            listeners: RwLock::new(Vec::new()),
            monitor: Mutex::new(Monitor::default()),
            round: tokio::sync::Mutex::new(()),
            config,
        })
    }

    /// Adds a listener; it observes every update committed after this call.
    /// Names must be unique ([`Error::DuplicateListener`]).
    pub fn register(
        &self,
        name: impl Into<String>,
        criticality: Criticality,
        listener: impl Listener<S::Delta> + 'static,
    ) -> Result<()> {
        let name = name.into();
        let mut listeners = self.listeners.write();
        if listeners.iter().any(|r| r.name == name) {
            return Err(Error::DuplicateListener(name));
        }
        let listener = Box::new(listener);
        listeners.push(Arc::new(Registered { name, criticality, listener }));
        Ok(())
    }

    /// Removes a listener by name; returns whether it was registered. A round already
    /// running still waits for it.
    pub fn unregister(&self, name: &str) -> bool {
        let mut listeners = self.listeners.write();
        let before = listeners.len();
        listeners.retain(|r| r.name != name);
        listeners.len() != before
    }

    /// Applies `delta` if the state is at `expected`, then runs every listener concurrently
    /// and inspects every result.
    ///
    /// Errors: [`Error::InError`] (refused, nothing applied) while a critical failure is
    /// unrecovered; [`Error::Conflict`] (nothing applied) on a stale `expected`;
    /// [`Error::CriticalListenerFailed`] (applied, now in `Health::Error`) when a critical
    /// listener errs, panics or times out. If this future is dropped mid-round, every
    /// listener of the round counts as `Cancelled`.
    pub async fn update(&self, expected: Version, delta: S::Delta) -> Result<Committed> {
        let _round = self.round.lock().await;
        self.monitor.lock().admit()?;
        let version = self.commit(expected, delta.clone())?;
        let listeners = self.listeners.read().clone();
        let mut guard =
            CancelGuard { monitor: &self.monitor, version, listeners: &listeners, armed: true };
        let outcomes = round::run(&listeners, version, &delta, self.config.listener_timeout);
        let outcomes = outcomes.await;
        guard.armed = false;
        let non_critical_failures = self.monitor.lock().finish_round(version, outcomes)?;
        Ok(Committed { version, non_critical_failures })
    }

    /// Leaves `Error` (or `Degraded`) for `Healthy` and returns the health it cleared.
    /// Call it once the application has handled the failure the error reported.
    pub fn recover(&self) -> Health {
        let cleared = self.monitor.lock().recover();
        if cleared != Health::Healthy {
            tracing::info!(?cleared, "state-sync recovered");
        }
        cleared
    }

    /// The current health.
    pub fn health(&self) -> Health {
        self.monitor.lock().health().clone()
    }

    /// Counters and health.
    pub fn stats(&self) -> Stats {
        let version = self.version();
        self.monitor.lock().stats(version)
    }

    /// The current version.
    pub fn version(&self) -> Version {
        self.core.lock().version()
    }

    /// Reads the current state and version without cloning.
    pub fn read<R>(&self, f: impl FnOnce(&S, Version) -> R) -> R {
        let core = self.core.lock();
        f(core.state(), core.version())
    }

    /// The names and criticality of the registered listeners, in registration order.
    pub fn listeners(&self) -> Vec<(String, Criticality)> {
        let listeners = self.listeners.read();
        listeners.iter().map(|r| (r.name.clone(), r.criticality)).collect()
    }

    fn commit(&self, expected: Version, delta: S::Delta) -> Result<Version> {
        let result = self.core.lock().update(expected, delta);
        let mut monitor = self.monitor.lock();
        match result {
            Ok(version) => {
                monitor.committed();
                Ok(version)
            }
            Err(conflict) => {
                monitor.conflict();
                Err(conflict.into())
            }
        }
    }
}

impl<S> Synchronizer<S>
where
    S: Apply + Clone + Send,
    S::Delta: Send + Sync + 'static,
{
    /// What a client at `version` needs to catch up; see [`Versioned::since`].
    pub fn since(&self, version: Version) -> CatchUp<S> {
        self.core.lock().since(version)
    }

    /// The current version and a clone of the state.
    pub fn snapshot(&self) -> (Version, S) {
        let core = self.core.lock();
        (core.version(), core.state().clone())
    }
}

#[cfg(test)]
mod tests;
