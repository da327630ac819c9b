//! The concurrent runner: every check in its own task, each bounded by its own timeout.
//!
//! A round spawns one tokio task per check and awaits all of them together, so a check that
//! fails, panics or hangs costs only its own entry: the others still run and report. The round
//! takes about as long as the slowest check (at most its timeout), not the sum.

use std::{any::Any, sync::Arc, time::Duration};

use futures_util::future::join_all;
use tokio::{
    task::{AbortHandle, JoinError},
    time::Instant,
};

use crate::{
    Check, CheckOptions, CheckReport, CheckResult, Error, MonitorConfig, Outcome, Report, Result,
    Status,
};

/// A set of registered checks, run together by [`Monitor::run`].
///
/// Cloning is cheap: the checks are shared.
#[derive(Clone, Default)]
pub struct Monitor {
    config: MonitorConfig,
    checks: Vec<Registered>,
}

/// A check with its resolved options.
#[derive(Clone)]
struct Registered {
    check: Arc<dyn Check>,
    timeout: Duration,
    critical: bool,
}

/// Aborts a check's task when its round is dropped, so a cancelled round leaks no task.
struct AbortOnDrop(AbortHandle);

impl Monitor {
    /// A monitor with the default configuration (2 s per check).
    pub fn new() -> Self {
        Self::default()
    }

    /// A monitor with `config`, validated.
    pub fn with_config(config: MonitorConfig) -> Result<Self> {
        config.validate()?;
        Ok(Self { config, checks: Vec::new() })
    }

    /// Registers a critical check with the default timeout.
    pub fn register(&mut self, check: impl Check + 'static) -> Result<&mut Self> {
        self.register_with(check, CheckOptions::default())
    }

    /// Registers a check with its own options; names must be unique.
    pub fn register_with(
        &mut self,
        check: impl Check + 'static,
        options: CheckOptions,
    ) -> Result<&mut Self> {
        options.validate()?;
        if self.checks.iter().any(|r| r.check.name() == check.name()) {
            return Err(Error::DuplicateCheck(check.name().to_owned()));
        }
        self.checks.push(Registered {
            check: Arc::new(check),
            timeout: options.timeout.unwrap_or(self.config.default_timeout),
            critical: options.critical,
        });
        Ok(self)
    }

    /// The number of registered checks.
    pub fn len(&self) -> usize {
        self.checks.len()
    }

    /// Whether no check is registered.
    pub fn is_empty(&self) -> bool {
        self.checks.is_empty()
    }

    /// The registered checks as `(name, critical)`, in registration order.
    pub fn checks(&self) -> impl Iterator<Item = (&str, bool)> {
        self.checks.iter().map(|r| (r.check.name(), r.critical))
    }

    /// Runs every check concurrently and reports each one, whatever the others did.
    ///
    /// Must be called inside a tokio runtime (it spawns one task per check).
    pub async fn run(&self) -> Report {
        let started = Instant::now();
        let entries = join_all(self.checks.iter().map(run_one)).await;
        Report::new(entries, std::time::SystemTime::now(), started.elapsed())
    }
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor")
            .field("config", &self.config)
            .field("checks", &self.checks().collect::<Vec<_>>())
            .finish()
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs one check in its own task under its timeout and turns any ending into an entry.
async fn run_one(registered: &Registered) -> CheckReport {
    let started = Instant::now();
    let check = Arc::clone(&registered.check);
    let task = tokio::spawn(async move { check.run().await });
    let _abort = AbortOnDrop(task.abort_handle());
    let (status, outcome) = match tokio::time::timeout(registered.timeout, task).await {
        Ok(joined) => classify(joined),
        Err(_) => {
            let reason = format!("check timed out after {:?}", registered.timeout);
            (Status::unhealthy(reason), Outcome::TimedOut)
        }
    };
    let name = registered.check.name();
    if outcome != Outcome::Completed {
        log_incomplete(name, &status, outcome);
    }
    let elapsed = started.elapsed();
    CheckReport::new(name, &status, outcome, registered.critical, elapsed)
}

/// Logs a check that failed, panicked, hung or was cancelled; the report carries the same facts.
fn log_incomplete(name: &str, status: &Status, outcome: Outcome) {
    let reason = status.reason();
    tracing::warn!(check = name, ?outcome, reason, "health check did not complete");
}

/// The status and outcome of a check task that ended before its timeout.
fn classify(joined: std::result::Result<CheckResult, JoinError>) -> (Status, Outcome) {
    match joined {
        Ok(Ok(status)) => (status, Outcome::Completed),
        Ok(Err(err)) => (Status::unhealthy(format!("check failed: {err}")), Outcome::Failed),
        Err(join) if join.is_panic() => {
            let message = panic_message(join.into_panic());
            (Status::unhealthy(format!("check panicked: {message}")), Outcome::Panicked)
        }
        Err(_) => (Status::unhealthy("check task was cancelled"), Outcome::Cancelled),
    }
}

/// The text of a panic payload, when it is a string.
fn panic_message(payload: Box<dyn Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload
            .downcast_ref::<&str>()
            .map_or_else(|| "non-string panic payload".to_owned(), |s| (*s).to_owned()),
    }
}
