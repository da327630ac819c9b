//! The scheduling-lag check: how late a short tokio timer fires, a direct measure of a
//! starved or blocked runtime.

use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use crate::{Check, CheckResult, Status, Thresholds};

/// Sleeps `probe` and measures how much later than asked the timer fired.
///
/// Defaults: probe 10 ms, degraded from 50 ms of lag, unhealthy from 250 ms. Timer granularity
/// is about 1 ms, so lag under a few milliseconds is noise.
#[derive(Clone, Debug)]
pub struct SchedulingLag {
    name: String,
    probe: Duration,
    thresholds: Thresholds<Duration>,
}

impl Default for SchedulingLag {
    fn default() -> Self {
        Self {
            name: "scheduling_lag".to_owned(),
            probe: Duration::from_millis(10),
            thresholds: Thresholds {
                degraded_at: Duration::from_millis(50),
                unhealthy_at: Duration::from_millis(250),
            },
        }
    }
}

impl SchedulingLag {
    /// A check named `scheduling_lag` with the default probe and thresholds.
    pub fn new() -> Self {
        Self::default()
    }

    /// Renames the check.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Sets how long to sleep.
    pub fn probe(mut self, probe: Duration) -> Self {
        self.probe = probe;
        self
    }

    /// Sets the lag thresholds.
    pub fn thresholds(mut self, thresholds: Thresholds<Duration>) -> Self {
        self.thresholds = thresholds;
        self
    }

    /// The status for a timer that fired `lag` late.
    pub fn classify(&self, lag: Duration) -> Status {
        Status::from_kind(self.thresholds.classify(lag), format!("timer fired {lag:?} late"))
    }
}

#[async_trait]
impl Check for SchedulingLag {
    fn name(&self) -> &str {
        &self.name
    }

    async fn run(&self) -> CheckResult {
        let started = Instant::now();
        tokio::time::sleep(self.probe).await;
        let lag = started.elapsed().saturating_sub(self.probe);
        Ok(self.classify(lag))
    }
}
