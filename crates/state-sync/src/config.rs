//! Configuration of the [`Synchronizer`](crate::Synchronizer).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::history::HistoryConfig;

/// How a synchronizer keeps history and waits for listeners.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SyncConfig {
    /// How long each listener may take per update before it counts as a `Timeout` failure.
    /// Default 5 s. Must be non-zero.
    pub listener_timeout: Duration,
    /// Bounds on the delta history used for catch-up. Default [`HistoryConfig::default`]
    /// (1_000 deltas, 1 MiB).
    pub history: HistoryConfig,
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self { listener_timeout: Duration::from_secs(5), history: HistoryConfig::default() }
    }
}

impl SyncConfig {
    /// Sets the per-listener timeout.
    pub fn listener_timeout(mut self, timeout: Duration) -> Self {
        self.listener_timeout = timeout;
        self
    }

    /// Sets the history bounds.
    pub fn history(mut self, history: HistoryConfig) -> Self {
        self.history = history;
        self
    }

    /// Checks the configuration once, at construction.
    pub fn validate(&self) -> Result<()> {
        if self.listener_timeout.is_zero() {
            return Err(Error::InvalidConfig {
                field: "listener_timeout",
                reason: "must be non-zero",
            });
        }
        Ok(())
    }
}
