//! The result of one round: one entry per registered check, coverage and the overall status.
//!
//! Everything here is pure: the driver passes in the results and the wall-clock time.

use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::{Status, StatusKind, timestamp::rfc3339};

/// How a check's run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// The check returned a status (of any severity).
    Completed,
    /// The check returned an error; it is reported unhealthy.
    Failed,
    /// The check did not finish within its timeout and was cancelled; reported unhealthy.
    TimedOut,
    /// The check panicked; reported unhealthy.
    Panicked,
    /// The check's task was cancelled by the runtime (shutdown); reported unhealthy.
    Cancelled,
    /// No round has finished yet (only in the periodic runner's first report); unhealthy.
    Pending,
}

/// One check's entry in a [`Report`].
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct CheckReport {
    /// The check's name.
    pub name: String,
    /// The check's severity.
    pub status: StatusKind,
    /// Why it is not healthy; `None` when healthy.
    pub reason: Option<String>,
    /// How its run ended.
    pub outcome: Outcome,
    /// Whether it was registered as critical.
    pub critical: bool,
    /// How long it ran, in milliseconds (fractional).
    pub duration_ms: f64,
}

/// A health report: every registered check, in registration order, plus the summary.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Report {
    /// The overall status, by [`overall_status`].
    pub status: StatusKind,
    /// When the round finished, RFC 3339 in UTC.
    pub timestamp: String,
    /// `checks_covered / checks_total`; 1.0 when no check is registered.
    pub coverage: f64,
    /// Number of registered checks; always equal to `checks.len()`.
    pub checks_total: usize,
    /// Checks that ran to the end and produced their own answer ([`Outcome::is_covered`]).
    pub checks_covered: usize,
    /// Wall time of the whole round in milliseconds; about the slowest check, not the sum.
    pub duration_ms: f64,
    /// One entry per registered check.
    pub checks: Vec<CheckReport>,
}

/// The overall status rule, over `(severity, critical)` pairs:
///
/// | any critical check unhealthy | any degraded, or any non-critical unhealthy | result |
/// |---|---|---|
/// | yes | – | `Unhealthy` |
/// | no | yes | `Degraded` |
/// | no | no | `Healthy` (also when there are no checks) |
pub fn overall_status(checks: impl IntoIterator<Item = (StatusKind, bool)>) -> StatusKind {
    checks
        .into_iter()
        .map(|(kind, critical)| match kind {
            StatusKind::Unhealthy if !critical => StatusKind::Degraded,
            kind => kind,
        })
        .max()
        .unwrap_or(StatusKind::Healthy)
}

impl Outcome {
    /// Whether the check ran to its end and answered for itself: `Completed` or `Failed`.
    ///
    /// A timed-out, panicked, cancelled or pending check is still reported (as unhealthy), but
    /// its status is the monitor's verdict, not a measurement, so it does not count as covered.
    pub fn is_covered(self) -> bool {
        matches!(self, Self::Completed | Self::Failed)
    }
}

impl CheckReport {
    /// An entry for check `name` that ended with `outcome` and `status` after `duration`.
    pub fn new(
        name: impl Into<String>,
        status: &Status,
        outcome: Outcome,
        critical: bool,
        duration: Duration,
    ) -> Self {
        Self {
            name: name.into(),
            status: status.kind(),
            reason: status.reason().map(str::to_owned),
            outcome,
            critical,
            duration_ms: duration.as_secs_f64() * 1_000.0,
        }
    }
}

impl Report {
    /// Summarises `checks` (one per registered check) finished at `at` after `duration`.
    pub fn new(checks: Vec<CheckReport>, at: SystemTime, duration: Duration) -> Self {
        let covered = checks.iter().filter(|c| c.outcome.is_covered()).count();
        let total = checks.len();
        Self {
            status: overall_status(checks.iter().map(|c| (c.status, c.critical))),
            timestamp: rfc3339(at),
            coverage: if total == 0 { 1.0 } else { covered as f64 / total as f64 },
            checks_total: total,
            checks_covered: covered,
            duration_ms: duration.as_secs_f64() * 1_000.0,
            checks,
        }
    }

    /// A report for checks `(name, critical)` before any round has finished: each is
    /// unhealthy with [`Outcome::Pending`], so a health endpoint answers 503 until the first round.
    pub fn pending<'a>(checks: impl IntoIterator<Item = (&'a str, bool)>, at: SystemTime) -> Self {
        let status = Status::unhealthy("no round has finished yet");
        let entries = checks
            .into_iter()
            .map(|(name, critical)| {
                CheckReport::new(name, &status, Outcome::Pending, critical, Duration::ZERO)
            })
            .collect();
        Self::new(entries, at, Duration::ZERO)
    }

    /// The entry for check `name`.
    pub fn check(&self, name: &str) -> Option<&CheckReport> {
        self.checks.iter().find(|c| c.name == name)
    }

    /// The HTTP status a health endpoint should answer: 200 when healthy, 503 otherwise.
    pub fn http_status(&self) -> u16 {
        if self.status == StatusKind::Healthy { 200 } else { 503 }
    }
}
