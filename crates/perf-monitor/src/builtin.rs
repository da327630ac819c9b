//! Built-in checks a WebSocket server needs, fed by closures so that this crate depends on no
//! other pattern crate: the facade wires each probe to the queue, breakers or registry it reads.

use std::fmt::Debug;

use async_trait::async_trait;

use crate::{Check, CheckResult, Error, Result, Status, StatusKind};

/// Two ordered limits: a value at or above `degraded_at` is degraded, at or above
/// `unhealthy_at` unhealthy.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Thresholds<T> {
    pub(crate) degraded_at: T,
    pub(crate) unhealthy_at: T,
}

/// Queue fill level: `depth / capacity` against fractional thresholds.
///
/// A capacity of 0 counts as full when anything is queued and empty otherwise.
pub struct QueueSaturation<F> {
    name: String,
    probe: F,
    thresholds: Thresholds<f64>,
}

/// Open circuit breakers: degraded when any is open, unhealthy from a count if one is set.
pub struct OpenBreakers<F> {
    name: String,
    probe: F,
    unhealthy_at: Option<usize>,
}

/// Ghost connections (sockets that stopped answering heartbeats but were not yet reaped).
pub struct GhostConnections<F> {
    name: String,
    probe: F,
    thresholds: Thresholds<usize>,
}

impl<T: PartialOrd + Copy + Debug> Thresholds<T> {
    /// Limits `degraded_at <= unhealthy_at`; anything else (including NaN) is an error.
    pub fn new(degraded_at: T, unhealthy_at: T) -> Result<Self> {
        // Written as a negated `<=` so that incomparable values (NaN) are rejected too.
        if !matches!(
            degraded_at.partial_cmp(&unhealthy_at),
            Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
        ) {
            return Err(Error::InvalidThresholds {
                degraded_at: format!("{degraded_at:?}"),
                unhealthy_at: format!("{unhealthy_at:?}"),
            });
        }
        Ok(Self { degraded_at, unhealthy_at })
    }

    /// The severity of `value`.
    pub fn classify(&self, value: T) -> StatusKind {
        if value >= self.unhealthy_at {
            StatusKind::Unhealthy
        } else if value >= self.degraded_at {
            StatusKind::Degraded
        } else {
            StatusKind::Healthy
        }
    }

    /// The degraded limit.
    pub fn degraded_at(&self) -> T {
        self.degraded_at
    }

    /// The unhealthy limit.
    pub fn unhealthy_at(&self) -> T {
        self.unhealthy_at
    }
}

impl<F: Fn() -> (usize, usize) + Send + Sync> QueueSaturation<F> {
    /// A check named `name` reading `(depth, capacity)` from `probe`; typical limits 0.8 and 0.95.
    pub fn new(
        name: impl Into<String>,
        probe: F,
        degraded_at: f64,
        unhealthy_at: f64,
    ) -> Result<Self> {
        Ok(Self {
            name: name.into(),
            probe,
            thresholds: Thresholds::new(degraded_at, unhealthy_at)?,
        })
    }

    /// The status for a queue holding `depth` of `capacity`.
    pub fn classify(&self, depth: usize, capacity: usize) -> Status {
        let ratio = match (depth, capacity) {
            (0, _) => 0.0,
            (_, 0) => 1.0,
            (depth, capacity) => depth as f64 / capacity as f64,
        };
        let reason = format!("queue at {:.0}% ({depth}/{capacity})", ratio * 100.0);
        Status::from_kind(self.thresholds.classify(ratio), reason)
    }
}

impl<F: Fn() -> Vec<String> + Send + Sync> OpenBreakers<F> {
    /// A check named `circuit_breakers` reading the names of open breakers from `probe`;
    /// degraded when any is open, never unhealthy until [`Self::unhealthy_at`] is set.
    pub fn new(probe: F) -> Self {
        Self { name: "circuit_breakers".to_owned(), probe, unhealthy_at: None }
    }

    /// Renames the check.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Unhealthy once `count` or more breakers are open (use the total to mean "all").
    pub fn unhealthy_at(mut self, count: usize) -> Result<Self> {
        if count == 0 {
            return Err(Error::InvalidThresholds {
                degraded_at: "1".to_owned(),
                unhealthy_at: "0".to_owned(),
            });
        }
        self.unhealthy_at = Some(count);
        Ok(self)
    }

    /// The status when the breakers named in `open` are open.
    pub fn classify(&self, open: &[String]) -> Status {
        let reason = format!("{} open: {}", open.len(), open.join(", "));
        match self.unhealthy_at {
            _ if open.is_empty() => Status::Healthy,
            Some(limit) if open.len() >= limit => Status::Unhealthy(reason),
            _ => Status::Degraded(reason),
        }
    }
}

impl<F: Fn() -> usize + Send + Sync> GhostConnections<F> {
    /// A check named `ghost_connections` reading the current ghost count from `probe`.
    pub fn new(probe: F, thresholds: Thresholds<usize>) -> Self {
        Self { name: "ghost_connections".to_owned(), probe, thresholds }
    }

    /// Renames the check.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The status for `ghosts` ghost connections.
    pub fn classify(&self, ghosts: usize) -> Status {
        let kind = self.thresholds.classify(ghosts);
        Status::from_kind(kind, format!("{ghosts} ghost connections"))
    }
}

#[async_trait]
impl<F: Fn() -> (usize, usize) + Send + Sync> Check for QueueSaturation<F> {
    fn name(&self) -> &str {
        &self.name
    }

    async fn run(&self) -> CheckResult {
        let (depth, capacity) = (self.probe)();
        Ok(self.classify(depth, capacity))
    }
}

#[async_trait]
impl<F: Fn() -> Vec<String> + Send + Sync> Check for OpenBreakers<F> {
    fn name(&self) -> &str {
        &self.name
    }

    async fn run(&self) -> CheckResult {
        Ok(self.classify(&(self.probe)()))
    }
}

#[async_trait]
impl<F: Fn() -> usize + Send + Sync> Check for GhostConnections<F> {
    fn name(&self) -> &str {
        &self.name
    }

    async fn run(&self) -> CheckResult {
        Ok(self.classify((self.probe)()))
    }
}
