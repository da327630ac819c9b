//! The in-process copy of every metric, kept in atomics next to the facade calls, so the
//! health endpoint can show numbers whether or not a recorder is installed.

use std::{
    collections::BTreeMap,
    sync::atomic::{AtomicU64, Ordering::Relaxed},
    time::Duration,
};

use parking_lot::Mutex;
use serde::Serialize;

use crate::{BreakerState, LabelStats};

/// Every metric at one instant, shaped for the health endpoint's JSON.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Snapshot {
    /// Connection counts.
    pub connections: Connections,
    /// Message counts.
    pub messages: Messages,
    /// Outbound queue levels.
    pub queue: Queue,
    /// Session resume counts.
    pub resumes: Resumes,
    /// Circuit breakers by name.
    pub circuit_breakers: BTreeMap<String, Breaker>,
    /// Heartbeat round-trip times.
    pub heartbeat_rtt: Latency,
    /// Send-to-ack latencies.
    pub send_latency: Latency,
    /// Token refreshes.
    pub token_refreshes: TokenRefreshes,
    /// Per-client counts and the label cap's accounting.
    pub clients: LabelStats,
}

/// Connection counts in a [`Snapshot`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Connections {
    /// Connections opened.
    pub opened: u64,
    /// Connections open now.
    pub active: u64,
    /// Connections closed, all reasons.
    pub closed: u64,
    /// Connections closed, by reason.
    pub closed_by_reason: BTreeMap<&'static str, u64>,
    /// Failed connection attempts, by reason.
    pub failed_by_reason: BTreeMap<&'static str, u64>,
    /// Ghost connections reaped.
    pub ghosts: u64,
}

/// Message counts in a [`Snapshot`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Messages {
    /// Messages sent.
    pub sent: u64,
    /// Messages received.
    pub received: u64,
    /// Messages acknowledged.
    pub acked: u64,
    /// Re-sends.
    pub retried: u64,
    /// Dead-lettered messages, by reason.
    pub dead_lettered_by_reason: BTreeMap<&'static str, u64>,
    /// Duplicates dropped.
    pub deduplicated: u64,
    /// Payload bytes sent.
    pub bytes_sent: u64,
    /// Payload bytes received.
    pub bytes_received: u64,
}

/// Queue levels in a [`Snapshot`].
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Queue {
    /// Messages queued (last reported).
    pub depth: u64,
    /// Bytes queued (last reported).
    pub bytes: u64,
    /// Age of the oldest unacknowledged message, seconds (last reported).
    pub oldest_unacked_age_seconds: f64,
    /// Overflows.
    pub overflows: u64,
}

/// Resume counts in a [`Snapshot`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Resumes {
    /// Attempts.
    pub attempted: u64,
    /// Successes.
    pub succeeded: u64,
    /// Lost resumes, by reason.
    pub lost_by_reason: BTreeMap<&'static str, u64>,
}

/// One circuit breaker in a [`Snapshot`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Breaker {
    /// Its current state.
    pub state: BreakerState,
    /// State changes seen.
    pub transitions: u64,
}

/// A summary of a duration histogram in a [`Snapshot`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Latency {
    /// Observations.
    pub count: u64,
    /// Mean, seconds; 0 when there are none.
    pub mean_seconds: f64,
    /// Largest, seconds.
    pub max_seconds: f64,
    /// Most recent, seconds.
    pub last_seconds: f64,
}

/// Token refresh counts in a [`Snapshot`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct TokenRefreshes {
    /// Successful refreshes.
    pub succeeded: u64,
    /// Failed refreshes.
    pub failed: u64,
}

/// Atomic counters and gauges behind a [`Metrics`](crate::Metrics) handle.
#[derive(Debug, Default)]
pub(crate) struct Atomics {
    pub(crate) opened: AtomicU64,
    pub(crate) active: AtomicU64,
    pub(crate) ghosts: AtomicU64,
    pub(crate) sent: AtomicU64,
    pub(crate) received: AtomicU64,
    pub(crate) acked: AtomicU64,
    pub(crate) retried: AtomicU64,
    pub(crate) deduplicated: AtomicU64,
    pub(crate) bytes_sent: AtomicU64,
    pub(crate) bytes_received: AtomicU64,
    pub(crate) queue_depth: AtomicU64,
    pub(crate) queue_bytes: AtomicU64,
    pub(crate) oldest_unacked_nanos: AtomicU64,
    pub(crate) overflows: AtomicU64,
    pub(crate) resumes_attempted: AtomicU64,
    pub(crate) resumes_succeeded: AtomicU64,
    pub(crate) tokens_ok: AtomicU64,
    pub(crate) tokens_failed: AtomicU64,
}

/// Counts keyed by a server-chosen static reason.
#[derive(Debug, Default)]
pub(crate) struct ReasonCounts(Mutex<BTreeMap<&'static str, u64>>);

/// Count, sum, max and last of durations, in nanoseconds.
#[derive(Debug, Default)]
pub(crate) struct LatencyCell {
    count: AtomicU64,
    sum_nanos: AtomicU64,
    max_nanos: AtomicU64,
    last_nanos: AtomicU64,
}

impl Atomics {
    /// The connection, message, queue and resume sections (reason maps filled by the caller).
    pub(crate) fn sections(&self) -> (Connections, Messages, Queue, Resumes) {
        let connections = Connections {
            opened: self.opened.load(Relaxed),
            active: self.active.load(Relaxed),
            ghosts: self.ghosts.load(Relaxed),
            ..Connections::default()
        };
        let messages = Messages {
            sent: self.sent.load(Relaxed),
            received: self.received.load(Relaxed),
            acked: self.acked.load(Relaxed),
            retried: self.retried.load(Relaxed),
            deduplicated: self.deduplicated.load(Relaxed),
            bytes_sent: self.bytes_sent.load(Relaxed),
            bytes_received: self.bytes_received.load(Relaxed),
            ..Messages::default()
        };
        (connections, messages, self.queue(), self.resumes())
    }

    /// The token refresh section.
    pub(crate) fn tokens(&self) -> TokenRefreshes {
        TokenRefreshes {
            succeeded: self.tokens_ok.load(Relaxed),
            failed: self.tokens_failed.load(Relaxed),
        }
    }

    fn queue(&self) -> Queue {
        let age = Duration::from_nanos(self.oldest_unacked_nanos.load(Relaxed));
        Queue {
            depth: self.queue_depth.load(Relaxed),
            bytes: self.queue_bytes.load(Relaxed),
            oldest_unacked_age_seconds: age.as_secs_f64(),
            overflows: self.overflows.load(Relaxed),
        }
    }

    fn resumes(&self) -> Resumes {
        Resumes {
            attempted: self.resumes_attempted.load(Relaxed),
            succeeded: self.resumes_succeeded.load(Relaxed),
            lost_by_reason: BTreeMap::new(),
        }
    }
}

impl ReasonCounts {
    /// Adds one for `reason`.
    pub(crate) fn add(&self, reason: &'static str) {
        *self.0.lock().entry(reason).or_default() += 1;
    }

    /// A copy of the counts.
    pub(crate) fn get(&self) -> BTreeMap<&'static str, u64> {
        self.0.lock().clone()
    }
}

impl LatencyCell {
    /// Records one observation.
    pub(crate) fn record(&self, value: Duration) {
        let nanos = u64::try_from(value.as_nanos()).unwrap_or(u64::MAX);
        self.count.fetch_add(1, Relaxed);
        self.sum_nanos.fetch_add(nanos, Relaxed);
        self.max_nanos.fetch_max(nanos, Relaxed);
        self.last_nanos.store(nanos, Relaxed);
    }

    /// The summary; the fields are read separately, so under concurrent writes they may be
    /// off by the observations in flight.
    pub(crate) fn get(&self) -> Latency {
        let count = self.count.load(Relaxed);
        let seconds = |nanos: u64| Duration::from_nanos(nanos).as_secs_f64();
        let sum = seconds(self.sum_nanos.load(Relaxed));
        Latency {
            count,
            mean_seconds: if count == 0 { 0.0 } else { sum / count as f64 },
            max_seconds: seconds(self.max_nanos.load(Relaxed)),
            last_seconds: seconds(self.last_nanos.load(Relaxed)),
        }
    }
}
