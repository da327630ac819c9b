//! The synchronizer's health and the pure bookkeeping that moves it.
//!
//! [`Monitor`] judges each round from the full list of listener outcomes; it is the single
//! place where a result can turn into a state change, so no result can be dropped on the way.
//!
//! Transitions:
//! - any critical failure → `Error` (sticky: only `recover()` leaves it);
//! - otherwise any non-critical failure → `Degraded`, with failures accumulated;
//! - otherwise (a fully successful round) `Degraded` → `Healthy`.

use serde::Serialize;

use crate::Version;
use crate::error::{Error, FailureKind, ListenerFailure, Result};
use crate::listener::Criticality;
use crate::stats::Stats;

/// How well the listeners are keeping up with the state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Health {
    /// Every listener observed every update so far (or since the last `recover()`).
    #[default]
    Healthy,
    /// Some non-critical listener failed and no round has fully succeeded since.
    Degraded {
        /// Non-critical failures since the last fully successful round.
        failures: u64,
        /// The non-critical failures of the most recent failing round.
        recent: Vec<ListenerFailure>,
    },
    /// A critical listener failed: updates are refused until `recover()`.
    Error {
        /// The committed version whose round failed.
        version: Version,
        /// The critical failures of that round, in registration order.
        failures: Vec<ListenerFailure>,
    },
}

/// One listener's result in a round.
#[derive(Clone, Debug)]
pub(crate) struct Outcome {
    pub(crate) listener: String,
    pub(crate) criticality: Criticality,
    pub(crate) result: Result<(), FailureKind>,
}

/// Health plus counters, updated only through the methods below.
#[derive(Debug, Default)]
pub(crate) struct Monitor {
    health: Health,
    stats: Stats,
}

impl Health {
    /// Whether updates are accepted (everything but `Error`).
    pub fn accepts_updates(&self) -> bool {
        !matches!(self, Self::Error { .. })
    }
}

impl Monitor {
    /// Lets an update in, or refuses it with the error that caused `Health::Error`.
    pub(crate) fn admit(&mut self) -> Result<()> {
        if let Health::Error { version, failures } = &self.health {
            self.stats.refused += 1;
            return Err(Error::InError { version: *version, failures: failures.clone() });
        }
        Ok(())
    }

    pub(crate) fn conflict(&mut self) {
        self.stats.conflicts += 1;
    }

    pub(crate) fn committed(&mut self) {
        self.stats.updates += 1;
    }

    /// Judges a finished round. Returns the non-critical failures when no critical listener
    /// failed, and `CriticalListenerFailed` otherwise.
    pub(crate) fn finish_round(
        &mut self,
        version: Version,
        outcomes: Vec<Outcome>,
    ) -> Result<Vec<ListenerFailure>> {
        let (critical, degraded) = self.classify(outcomes);
        if !critical.is_empty() {
            self.health = Health::Error { version, failures: critical.clone() };
            return Err(Error::CriticalListenerFailed { version, failures: critical });
        }
        self.judge_non_critical(&degraded);
        Ok(degraded)
    }

    /// Clears `Error` or `Degraded`, returning the health that was cleared.
    pub(crate) fn recover(&mut self) -> Health {
        let previous = std::mem::take(&mut self.health);
        if previous != Health::Healthy {
            self.stats.recoveries += 1;
        }
        previous
    }

    pub(crate) fn health(&self) -> &Health {
        &self.health
    }

    pub(crate) fn stats(&self, version: Version) -> Stats {
        Stats { version, health: self.health.clone(), ..self.stats.clone() }
    }

    /// Counts every failure and splits them by criticality.
    fn classify(&mut self, outcomes: Vec<Outcome>) -> (Vec<ListenerFailure>, Vec<ListenerFailure>) {
        let (mut critical, mut degraded) = (Vec::new(), Vec::new());
        for outcome in outcomes {
            let Err(kind) = outcome.result else { continue };
            let failure = ListenerFailure { listener: outcome.listener, kind };
            self.count(outcome.criticality, &failure);
            match outcome.criticality {
                Criticality::Critical => critical.push(failure),
                Criticality::NonCritical => degraded.push(failure),
            }
        }
        (critical, degraded)
    }

    fn count(&mut self, criticality: Criticality, failure: &ListenerFailure) {
        let counts = match criticality {
            Criticality::Critical => &mut self.stats.critical_failures,
            Criticality::NonCritical => &mut self.stats.non_critical_failures,
        };
        counts.record(&failure.kind);
        tracing::warn!(
            listener = %failure.listener,
            ?criticality,
            failure = %failure.kind,
            "state-sync listener failed"
        );
    }

    fn judge_non_critical(&mut self, degraded: &[ListenerFailure]) {
        // An `Error` (set by a cancelled round or not yet recovered) is never downgraded.
        if !self.health.accepts_updates() {
            return;
        }
        if degraded.is_empty() {
            self.health = Health::Healthy;
            return;
        }
        let before = match &self.health {
            Health::Degraded { failures, .. } => *failures,
            _ => 0,
        };
        self.health = Health::Degraded {
            failures: before + degraded.len() as u64,
            recent: degraded.to_vec(),
        };
    }
}

#[cfg(test)]
mod tests;
