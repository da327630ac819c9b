//! Monitor-wide and per-check settings.

use std::time::Duration;

use crate::{Error, Result};

/// Settings for a [`Monitor`](crate::Monitor).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MonitorConfig {
    /// Time allowed to a check registered without its own timeout. Default 2 s.
    pub default_timeout: Duration,
}

/// How one check is registered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CheckOptions {
    /// Time allowed to this check; `None` uses [`MonitorConfig::default_timeout`]. Default `None`.
    pub timeout: Option<Duration>,
    /// Whether this check failing makes the whole service unhealthy (see
    /// [`overall_status`](crate::overall_status)). Default `true`.
    pub critical: bool,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        Self { default_timeout: Duration::from_secs(2) }
    }
}

impl MonitorConfig {
    /// Sets the default per-check timeout.
    pub fn default_timeout(mut self, timeout: Duration) -> Self {
        self.default_timeout = timeout;
        self
    }

    /// Rejects a zero default timeout.
    pub fn validate(&self) -> Result<()> {
        if self.default_timeout.is_zero() {
            return Err(Error::ZeroTimeout);
        }
        Ok(())
    }
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self { timeout: None, critical: true }
    }
}

impl CheckOptions {
    /// Sets this check's own timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sets whether the check is critical.
    pub fn critical(mut self, critical: bool) -> Self {
        self.critical = critical;
        self
    }

    /// Rejects a zero timeout.
    pub fn validate(&self) -> Result<()> {
        if self.timeout.is_some_and(|t| t.is_zero()) {
            return Err(Error::ZeroTimeout);
        }
        Ok(())
    }
}
