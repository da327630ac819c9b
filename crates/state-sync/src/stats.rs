//! Plain counters describing a synchronizer, for health endpoints and metrics exporters.

use serde::Serialize;

use crate::Version;
use crate::error::FailureKind;
use crate::health::Health;

/// A snapshot of a synchronizer's counters and health.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Stats {
    /// The current state version.
    pub version: Version,
    /// Updates committed (a round whose critical listener failed still counts: it committed).
    pub updates: u64,
    /// Updates rejected because their expected version was stale.
    pub conflicts: u64,
    /// Updates refused because the synchronizer was in `Health::Error`.
    pub refused: u64,
    /// Calls to `recover()` that cleared an error or degradation.
    pub recoveries: u64,
    /// Failures of critical listeners, by kind.
    pub critical_failures: FailureCounts,
    /// Failures of non-critical listeners, by kind.
    pub non_critical_failures: FailureCounts,
    /// The health at the time of the snapshot.
    pub health: Health,
}

/// Listener failures counted by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct FailureCounts {
    /// Listeners that returned an error.
    pub errors: u64,
    /// Listeners that panicked.
    pub panics: u64,
    /// Listeners that exceeded their timeout.
    pub timeouts: u64,
    /// Listeners whose round was cancelled by the caller before their result was known.
    pub cancelled: u64,
}

impl FailureCounts {
    /// All failures, whatever their kind.
    pub fn total(&self) -> u64 {
        self.errors + self.panics + self.timeouts + self.cancelled
    }

    /// Counts one failure.
    pub(crate) fn record(&mut self, kind: &FailureKind) {
        let counter = match kind {
            FailureKind::Error(_) => &mut self.errors,
            FailureKind::Panic(_) => &mut self.panics,
            FailureKind::Timeout(_) => &mut self.timeouts,
            FailureKind::Cancelled => &mut self.cancelled,
        };
        *counter += 1;
    }
}
