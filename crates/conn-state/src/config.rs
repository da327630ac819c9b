//! Configuration of the registry and of the sweeper.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The longest accepted timeout: one year. Keeps deadline arithmetic far from overflow.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(365 * 24 * 3600);

/// Timeouts and budgets of a [`Registry`](crate::Registry).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Config {
    /// An `Active` connection with no [`touch`](crate::Registry::touch) for this long is an
    /// idle ghost. Default 60 s; the facade sets heartbeat interval + heartbeat timeout.
    pub idle_timeout: Duration,
    /// How long a close (started by `begin_close`, or a force-close handed out by the ghost
    /// scan) may take before it counts as failed. Default 5 s.
    pub close_timeout: Duration,
    /// Delay between a failed close and the next force-close attempt. Default 1 s.
    pub force_close_after: Duration,
    /// Force-close attempts on a `Failed` connection before it is removed and reported as
    /// given up. Default 3; at least 1.
    pub max_force_close_attempts: u32,
    /// Bound of the event queue; the oldest event is dropped (and counted) when full, 0
    /// disables events. Default 1024.
    pub event_capacity: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(60),
            close_timeout: Duration::from_secs(5),
            force_close_after: Duration::from_secs(1),
            max_force_close_attempts: 3,
            event_capacity: 1024,
        }
    }
}

impl Config {
    /// Sets [`Config::idle_timeout`].
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Sets [`Config::close_timeout`].
    pub fn close_timeout(mut self, timeout: Duration) -> Self {
        self.close_timeout = timeout;
        self
    }

    /// Sets [`Config::force_close_after`].
    pub fn force_close_after(mut self, delay: Duration) -> Self {
        self.force_close_after = delay;
        self
    }

    /// Sets [`Config::max_force_close_attempts`].
    pub fn max_force_close_attempts(mut self, attempts: u32) -> Self {
        self.max_force_close_attempts = attempts;
        self
    }

    /// Sets [`Config::event_capacity`].
    pub fn event_capacity(mut self, capacity: usize) -> Self {
        self.event_capacity = capacity;
        self
    }

    /// Checks every field once; [`Registry::new`](crate::Registry::new) calls it.
    pub fn validate(&self) -> Result<()> {
        check_timeout("idle_timeout", self.idle_timeout)?;
        check_timeout("close_timeout", self.close_timeout)?;
        check_timeout("force_close_after", self.force_close_after)?;
        if self.max_force_close_attempts == 0 {
            return Err(Error::InvalidConfig {
                field: "max_force_close_attempts",
                reason: "must be at least 1",
            });
        }
        Ok(())
    }
}

/// Settings of the [`Sweeper`](crate::Sweeper) driver.
#[cfg(feature = "driver")]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SweeperConfig {
    /// Time allowed to one call of the closer before it counts as a failed close. Default
    /// 2 s; keep it below [`Config::close_timeout`] so the registry does not hand the same
    /// connection out again while a close is still running.
    pub close_timeout: Duration,
    /// Closes running at once within one sweep. Default 64; at least 1.
    pub max_concurrency: usize,
}

#[cfg(feature = "driver")]
impl Default for SweeperConfig {
    fn default() -> Self {
        Self { close_timeout: Duration::from_secs(2), max_concurrency: 64 }
    }
}

#[cfg(feature = "driver")]
impl SweeperConfig {
    /// Sets [`SweeperConfig::close_timeout`].
    pub fn close_timeout(mut self, timeout: Duration) -> Self {
        self.close_timeout = timeout;
        self
    }

    /// Sets [`SweeperConfig::max_concurrency`].
    pub fn max_concurrency(mut self, limit: usize) -> Self {
        self.max_concurrency = limit;
        self
    }

    /// Checks every field once; [`Sweeper::new`](crate::Sweeper::new) calls it.
    pub fn validate(&self) -> Result<()> {
        check_timeout("close_timeout", self.close_timeout)?;
        if self.max_concurrency == 0 {
            return Err(Error::InvalidConfig {
                field: "max_concurrency",
                reason: "must be at least 1",
            });
        }
        Ok(())
    }
}

fn check_timeout(field: &'static str, value: Duration) -> Result<()> {
    if value.is_zero() {
        return Err(Error::InvalidConfig { field, reason: "must be positive" });
    }
    if value > MAX_TIMEOUT {
        return Err(Error::InvalidConfig { field, reason: "must be at most one year" });
    }
    Ok(())
}
