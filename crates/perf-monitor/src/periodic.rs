//! The periodic runner: rounds on an interval, the latest report published through a watch
//! channel, so a health endpoint reads it without running checks on the request path.

use std::{sync::Arc, time::Duration};

use tokio::{
    sync::watch,
    task::JoinHandle,
    time::{MissedTickBehavior, interval},
};

use crate::{Error, Monitor, Report, Result};

/// A running periodic monitor; dropping it stops the rounds.
#[derive(Debug)]
pub struct PeriodicMonitor {
    rx: watch::Receiver<Arc<Report>>,
    task: JoinHandle<()>,
}

impl Monitor {
    /// Starts a task that runs a round now and then every `interval`, publishing each report.
    ///
    /// Until the first round finishes the published report is [`Report::pending`] (unhealthy).
    /// A round that overruns the interval delays the next one rather than stacking rounds.
    /// Must be called inside a tokio runtime.
    pub fn spawn_periodic(&self, interval: Duration) -> Result<PeriodicMonitor> {
        if interval.is_zero() {
            return Err(Error::ZeroInterval(interval));
        }
        let pending = Report::pending(self.checks(), std::time::SystemTime::now());
        let (tx, rx) = watch::channel(Arc::new(pending));
        let task = tokio::spawn(run_periodic(self.clone(), interval, tx));
        Ok(PeriodicMonitor { rx, task })
    }
}

impl PeriodicMonitor {
    /// The latest report; cheap, never waits.
    pub fn latest(&self) -> Arc<Report> {
        Arc::clone(&self.rx.borrow())
    }

    /// A receiver of every new report, for consumers that outlive a borrow of this handle.
    pub fn subscribe(&self) -> watch::Receiver<Arc<Report>> {
        self.rx.clone()
    }

    /// Waits for the next report and returns it; `None` if the runner has stopped.
    pub async fn next_report(&mut self) -> Option<Arc<Report>> {
        self.rx.changed().await.ok()?;
        Some(Arc::clone(&self.rx.borrow_and_update()))
    }

    /// Stops the rounds; the last report stays readable through earlier subscribers.
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for PeriodicMonitor {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The periodic loop; it ends when every receiver is gone.
async fn run_periodic(monitor: Monitor, every: Duration, tx: watch::Sender<Arc<Report>>) {
    let mut ticker = interval(every);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let report = monitor.run().await;
        if tx.send(Arc::new(report)).is_err() {
            return;
        }
    }
}
