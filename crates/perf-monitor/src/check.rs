//! The unit of health: a named [`Check`] that reports a [`Status`], and a closure adapter.

use std::future::Future;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// The health of one check, with a reason whenever it is not healthy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Working as intended.
    Healthy,
    /// Working, but close to a limit or with reduced capacity; the reason says which.
    Degraded(String),
    /// Not working; the reason says why.
    Unhealthy(String),
}

/// The severity of a [`Status`] without its reason, ordered `Healthy < Degraded < Unhealthy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusKind {
    /// See [`Status::Healthy`].
    Healthy,
    /// See [`Status::Degraded`].
    Degraded,
    /// See [`Status::Unhealthy`].
    Unhealthy,
}

/// Any error a check returns; the monitor turns it into an unhealthy result for that check.
pub type CheckError = Box<dyn std::error::Error + Send + Sync>;

/// What one run of a check produces.
pub type CheckResult = std::result::Result<Status, CheckError>;

/// One independent health check.
///
/// A check should be quick and side-effect free. It may fail, panic or hang: the monitor
/// contains each of those to this check alone.
#[async_trait]
pub trait Check: Send + Sync {
    /// The check's name, unique within a monitor; it keys the check's entry in the report.
    fn name(&self) -> &str;

    /// Runs the check once.
    async fn run(&self) -> CheckResult;
}

/// A [`Check`] made from a name and an async closure; built by [`check_fn`].
#[derive(Clone, Debug)]
pub struct FnCheck<F> {
    name: String,
    f: F,
}

/// Builds a check from a name and a closure returning a future of [`CheckResult`].
///
/// ```
/// use perf_monitor::{Check, Status, check_fn};
///
/// let db = check_fn("database", || async { Ok(Status::Healthy) });
/// assert_eq!(db.name(), "database");
/// ```
pub fn check_fn<F, Fut>(name: impl Into<String>, f: F) -> FnCheck<F>
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = CheckResult> + Send,
{
    FnCheck { name: name.into(), f }
}

impl Status {
    /// A degraded status with `reason`.
    pub fn degraded(reason: impl Into<String>) -> Self {
        Self::Degraded(reason.into())
    }

    /// An unhealthy status with `reason`.
    pub fn unhealthy(reason: impl Into<String>) -> Self {
        Self::Unhealthy(reason.into())
    }

    /// The severity without the reason.
    pub fn kind(&self) -> StatusKind {
        match self {
            Self::Healthy => StatusKind::Healthy,
            Self::Degraded(_) => StatusKind::Degraded,
            Self::Unhealthy(_) => StatusKind::Unhealthy,
        }
    }

    /// The reason, `None` when healthy.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::Healthy => None,
            Self::Degraded(reason) | Self::Unhealthy(reason) => Some(reason),
        }
    }

    /// A status of severity `kind`; the reason is dropped when `kind` is healthy.
    pub fn from_kind(kind: StatusKind, reason: impl Into<String>) -> Self {
        match kind {
            StatusKind::Healthy => Self::Healthy,
            StatusKind::Degraded => Self::Degraded(reason.into()),
            StatusKind::Unhealthy => Self::Unhealthy(reason.into()),
        }
    }
}

impl StatusKind {
    /// The lower-case name used in JSON: `healthy`, `degraded` or `unhealthy`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Healthy => "healthy",
            Self::Degraded => "degraded",
            Self::Unhealthy => "unhealthy",
        }
    }
}

#[async_trait]
impl<F, Fut> Check for FnCheck<F>
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = CheckResult> + Send,
{
    fn name(&self) -> &str {
        &self.name
    }

    async fn run(&self) -> CheckResult {
        (self.f)().await
    }
}
