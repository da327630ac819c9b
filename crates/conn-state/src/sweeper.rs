//! The tokio driver: a sweeper that force-closes ghosts through a caller-given closer.

use std::fmt::Display;
use std::future::Future;
use std::pin::pin;
use std::time::Instant;

use futures_util::{StreamExt, stream};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::config::SweeperConfig;
use crate::error::Result;
use crate::events::Ghost;
use crate::shared::SharedRegistry;
use crate::state::{ConnId, ConnState};

/// What one sweep (or, from [`Sweeper::reports`], all sweeps so far) did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SweepReport {
    /// Ghosts found by the scan, including those given up without a close.
    pub ghosts: usize,
    /// Closes that succeeded; those connections were removed.
    pub closed: usize,
    /// Closes that failed or timed out and were scheduled for another attempt.
    pub failed: usize,
    /// Closes that hit the per-close timeout (counted in `failed` or `gave_up` as well).
    pub timed_out: usize,
    /// Connections removed because their force-close budget was spent.
    pub gave_up: usize,
}

impl SweepReport {
    fn add(&mut self, other: &SweepReport) {
        self.ghosts += other.ghosts;
        self.closed += other.closed;
        self.failed += other.failed;
        self.timed_out += other.timed_out;
        self.gave_up += other.gave_up;
    }
}

/// The result of one call of the closer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Closed,
    Failed,
    TimedOut,
}

/// Sleeps until the registry's next deadline, then force-closes every ghost concurrently
/// (at most [`SweeperConfig::max_concurrency`] at once, each bounded by
/// [`SweeperConfig::close_timeout`]) and records each outcome in the registry.
///
/// The closer is any `Fn(ConnId) -> impl Future<Output = Result<(), E>>`; an error or a
/// timeout is recorded with `close_failed`, success with `close_confirmed`.
#[derive(Debug)]
pub struct Sweeper<F> {
    registry: SharedRegistry,
    closer: F,
    config: SweeperConfig,
    reports: watch::Sender<SweepReport>,
}

impl<F, Fut, E> Sweeper<F>
where
    F: Fn(ConnId) -> Fut,
    Fut: Future<Output = std::result::Result<(), E>>,
    E: Display,
{
    /// A sweeper over `registry` closing ghosts with `closer`; `config` is validated once.
    pub fn new(registry: SharedRegistry, closer: F, config: SweeperConfig) -> Result<Self> {
        config.validate()?;
        let (reports, _) = watch::channel(SweepReport::default());
        Ok(Self { registry, closer, config, reports })
    }

    /// Cumulative totals, updated after every sweep; await `changed()` to follow progress.
    pub fn reports(&self) -> watch::Receiver<SweepReport> {
        self.reports.subscribe()
    }

    /// Runs until `shutdown` resolves, sweeping at each deadline, and returns the totals.
    /// A sweep in progress is finished before shutting down.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> SweepReport {
        let mut shutdown = pin!(shutdown);
        loop {
            let next = self.registry.poll_timeout();
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                () = self.registry.deadline_moved() => {}
                () = sleep_until(next) => {
                    self.sweep_once(tokio::time::Instant::now().into_std()).await;
                }
            }
        }
        *self.reports.borrow()
    }

    /// One sweep at `now`: scan for ghosts, close them, record the outcomes.
    pub async fn sweep_once(&self, now: Instant) -> SweepReport {
        let ghosts = self.registry.poll_ghosts(now);
        let mut report = SweepReport {
            ghosts: ghosts.len(),
            gave_up: ghosts.iter().filter(|ghost| !ghost.needs_close()).count(),
            ..SweepReport::default()
        };
        let started = tokio::time::Instant::now();
        let closes = stream::iter(ghosts.into_iter().filter(Ghost::needs_close))
            .map(|ghost| self.close_one(ghost.id))
            .buffer_unordered(self.config.max_concurrency);
        let mut closes = pin!(closes);
        while let Some((id, outcome)) = closes.next().await {
            // Outcomes are recorded on the caller's time line, advanced by the time spent.
            self.record(id, outcome, now + started.elapsed(), &mut report);
        }
        self.reports.send_modify(|total| total.add(&report));
        report
    }

    async fn close_one(&self, id: ConnId) -> (ConnId, Outcome) {
        let outcome = match tokio::time::timeout(self.config.close_timeout, (self.closer)(id)).await
        {
            Ok(Ok(())) => Outcome::Closed,
            Ok(Err(error)) => {
                tracing::debug!(%id, %error, "force-close failed");
                Outcome::Failed
            }
            Err(_) => {
                tracing::debug!(%id, timeout = ?self.config.close_timeout, "force-close timed out");
                Outcome::TimedOut
            }
        };
        (id, outcome)
    }

    fn record(&self, id: ConnId, outcome: Outcome, at: Instant, report: &mut SweepReport) {
        report.timed_out += usize::from(outcome == Outcome::TimedOut);
        let recorded = match outcome {
            Outcome::Closed => self.registry.close_confirmed(id).map(|_| report.closed += 1),
            Outcome::Failed | Outcome::TimedOut => {
                self.registry.close_failed(id, at).map(|state| match state {
                    ConnState::Closed => report.gave_up += 1,
                    _ => report.failed += 1,
                })
            }
        };
        if let Err(error) = recorded {
            // Someone else settled the connection meanwhile; nothing is left to record.
            tracing::debug!(%id, %error, "sweep outcome not recorded");
        }
    }
}

/// Sleeps until `deadline`, or forever without one.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
        None => std::future::pending().await,
    }
}
