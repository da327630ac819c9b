//! Independent health checks run concurrently with timeouts, producing a partial-failure
//! report with coverage.
//!
//! The pattern: a service registers named [`Check`]s; a [`Monitor`] runs them all at once, each
//! in its own task under its own timeout (default 2 s), and gathers one [`CheckReport`] per
//! check into a [`Report`]. Running them one after another would let the first failure (or
//! hang) hide every check behind it; here a check that errors, panics or hangs is reported
//! unhealthy on its own and every other check still runs and reports.
//!
//! The guarantee: a report has exactly one entry per registered check, in registration order,
//! whatever the checks do. Its `coverage` is the fraction of checks that ran to their end and
//! answered for themselves ([`Outcome::is_covered`]: completed or returned an error); timeouts
//! and panics are reported but not covered. The overall status follows [`overall_status`]:
//! any critical check unhealthy makes the service unhealthy; otherwise any degraded check or
//! any non-critical unhealthy one makes it degraded; otherwise it is healthy.
//!
//! [`Monitor::spawn_periodic`] runs rounds on an interval and publishes the latest report, so a
//! health endpoint never runs checks on its request path. The built-in checks
//! ([`QueueSaturation`], [`OpenBreakers`], [`GhostConnections`], [`SchedulingLag`]) read their
//! inputs through closures, so this crate depends on no other pattern crate.
//!
//! The report and its rules are pure; the runner needs the `driver` feature (default on).
//!
//! ```
//! use perf_monitor::{CheckOptions, Monitor, Outcome, Status, StatusKind, check_fn};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> perf_monitor::Result<()> {
//! let mut monitor = Monitor::new();
//! monitor.register(check_fn("database", || async { Ok(Status::Healthy) }))?;
//! monitor.register_with(
//!     check_fn("cache", || async { Err("connection refused".into()) }),
//!     CheckOptions::default().critical(false),
//! )?;
//! let report = monitor.run().await;
//! assert_eq!(report.checks.len(), 2);
//! assert_eq!(report.check("cache").map(|c| c.outcome), Some(Outcome::Failed));
//! assert_eq!(report.status, StatusKind::Degraded); // only a non-critical check failed
//! assert_eq!(report.http_status(), 503);
//! # Ok(())
//! # }
//! ```

mod builtin;
mod check;
mod config;
mod error;
#[cfg(feature = "driver")]
mod lag;
#[cfg(feature = "driver")]
mod monitor;
#[cfg(feature = "driver")]
mod periodic;
mod report;
mod timestamp;

pub use builtin::{GhostConnections, OpenBreakers, QueueSaturation, Thresholds};
pub use check::{Check, CheckError, CheckResult, FnCheck, Status, StatusKind, check_fn};
pub use config::{CheckOptions, MonitorConfig};
pub use error::{Error, Result};
#[cfg(feature = "driver")]
pub use lag::SchedulingLag;
#[cfg(feature = "driver")]
pub use monitor::Monitor;
#[cfg(feature = "driver")]
pub use periodic::PeriodicMonitor;
pub use report::{CheckReport, Outcome, Report, overall_status};
pub use timestamp::rfc3339;

#[cfg(test)]
mod tests;
