//! The [`Metrics`] handle: each method records through the `metrics` facade (a no-op until a
//! recorder is installed) and into in-process atomics read by [`Metrics::snapshot`].

use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering::Relaxed},
    },
    time::Duration,
};

use metrics::{counter, gauge, histogram};
use parking_lot::Mutex;
use serde::Serialize;

use crate::{
    ClientLabels, MetricsConfig, Result, Snapshot,
    cardinality::Direction,
    names::*,
    snapshot::{Atomics, Breaker, LatencyCell, ReasonCounts},
};

/// A cheap-to-clone handle that records every ws-reliable metric.
///
/// Label values passed as `&'static str` (reasons) are chosen by the server, never taken from
/// peer input, which bounds their cardinality; client ids are bounded by the label cap.
#[derive(Clone, Debug, Default)]
pub struct Metrics {
    inner: Arc<Inner>,
}

/// The state of a circuit breaker, as exported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    /// Calls flow; gauge value 0.
    Closed,
    /// Trial calls flow; gauge value 1.
    HalfOpen,
    /// Calls are refused; gauge value 2.
    Open,
}

#[derive(Debug)]
struct Inner {
    atomics: Atomics,
    hot: crate::hot::Hot,
    closed: ReasonCounts,
    failed: ReasonCounts,
    dead_lettered: ReasonCounts,
    resumes_lost: ReasonCounts,
    breakers: Mutex<BTreeMap<String, Breaker>>,
    heartbeat: LatencyCell,
    send_latency: LatencyCell,
    clients: Mutex<ClientLabels>,
}

impl Default for Inner {
    fn default() -> Self {
        Self::new(MetricsConfig::default())
    }
}

impl Metrics {
    /// A handle with the default configuration (100 client labels).
    ///
    /// The per-message counters (sent, received, acked) are registered with the recorder
    /// installed at this moment: a binary installs its recorder before creating handles.
    pub fn new() -> Self {
        Self::default()
    }

    /// A handle with `config`, validated.
    pub fn with_config(config: MetricsConfig) -> Result<Self> {
        config.validate()?;
        Ok(Self { inner: Arc::new(Inner::new(config)) })
    }

    /// A connection opened.
    pub fn connection_opened(&self) {
        let a = &self.inner.atomics;
        a.opened.fetch_add(1, Relaxed);
        let active = a.active.fetch_add(1, Relaxed).saturating_add(1);
        counter!(CONNECTIONS_OPENED_TOTAL).increment(1);
        gauge!(CONNECTIONS_ACTIVE).set(active as f64);
    }

    /// A connection closed for `reason` (for example `"client_close"`, `"ghost"`, `"shutdown"`).
    pub fn connection_closed(&self, reason: &'static str) {
        self.inner.closed.add(reason);
        let active = saturating_decrement(&self.inner.atomics.active);
        counter!(CONNECTIONS_CLOSED_TOTAL, REASON => reason).increment(1);
        gauge!(CONNECTIONS_ACTIVE).set(active as f64);
    }

    /// A connection attempt failed for `reason` before opening.
    pub fn connection_failed(&self, reason: &'static str) {
        self.inner.failed.add(reason);
        counter!(CONNECTIONS_FAILED_TOTAL, REASON => reason).increment(1);
    }

    /// A ghost connection was detected and reaped.
    pub fn ghost_reaped(&self) {
        self.inner.atomics.ghosts.fetch_add(1, Relaxed);
        counter!(CONNECTIONS_GHOST_TOTAL).increment(1);
    }

    /// A message of `bytes` payload bytes was sent. On the hot path: two atomic adds and two
    /// facade calls.
    pub fn message_sent(&self, bytes: u64) {
        let a = &self.inner.atomics;
        a.sent.fetch_add(1, Relaxed);
        a.bytes_sent.fetch_add(bytes, Relaxed);
        self.inner.hot.sent.increment(1);
        self.inner.hot.sent_bytes.increment(bytes);
    }

    /// A message of `bytes` payload bytes was received.
    pub fn message_received(&self, bytes: u64) {
        let a = &self.inner.atomics;
        a.received.fetch_add(1, Relaxed);
        a.bytes_received.fetch_add(bytes, Relaxed);
        self.inner.hot.received.increment(1);
        self.inner.hot.received_bytes.increment(bytes);
    }

    /// `n` sent messages were acknowledged (a cumulative ack may cover several).
    pub fn messages_acked(&self, n: u64) {
        self.inner.atomics.acked.fetch_add(n, Relaxed);
        self.inner.hot.acked.increment(n);
    }

    /// A message was re-sent.
    pub fn message_retried(&self) {
        self.inner.atomics.retried.fetch_add(1, Relaxed);
        counter!(MESSAGES_RETRIED_TOTAL).increment(1);
    }

    /// A message was dead-lettered for `reason` (for example `"max_retries"`, `"expired"`).
    pub fn message_dead_lettered(&self, reason: &'static str) {
        self.inner.dead_lettered.add(reason);
        counter!(MESSAGES_DEAD_LETTERED_TOTAL, REASON => reason).increment(1);
    }

    /// A received duplicate was dropped.
    pub fn message_deduplicated(&self) {
        self.inner.atomics.deduplicated.fetch_add(1, Relaxed);
        counter!(MESSAGES_DEDUPLICATED_TOTAL).increment(1);
    }

    /// A message was acknowledged `latency` after it was first sent.
    pub fn send_latency(&self, latency: Duration) {
        self.inner.send_latency.record(latency);
        histogram!(SEND_LATENCY_SECONDS).record(latency.as_secs_f64());
    }

    /// The outbound queues hold `messages` messages in total.
    pub fn queue_depth(&self, messages: u64) {
        self.inner.atomics.queue_depth.store(messages, Relaxed);
        gauge!(QUEUE_DEPTH).set(messages as f64);
    }

    /// The outbound queues hold `bytes` payload bytes in total.
    pub fn queue_bytes(&self, bytes: u64) {
        self.inner.atomics.queue_bytes.store(bytes, Relaxed);
        gauge!(QUEUE_BYTES).set(bytes as f64);
    }

    /// The oldest sent but unacknowledged message is `age` old.
    pub fn queue_oldest_unacked_age(&self, age: Duration) {
        let nanos = u64::try_from(age.as_nanos()).unwrap_or(u64::MAX);
        self.inner.atomics.oldest_unacked_nanos.store(nanos, Relaxed);
        gauge!(QUEUE_OLDEST_UNACKED_AGE_SECONDS).set(age.as_secs_f64());
    }

    /// An enqueue hit a full queue.
    pub fn queue_overflowed(&self) {
        self.inner.atomics.overflows.fetch_add(1, Relaxed);
        counter!(QUEUE_OVERFLOWS_TOTAL).increment(1);
    }

    /// The memory budget holds `used` of `limit` bytes.
    pub fn memory_budget(&self, used: u64, limit: u64) {
        gauge!(MEMORY_BUDGET_USED_BYTES).set(used as f64);
        gauge!(MEMORY_BUDGET_LIMIT_BYTES).set(limit as f64);
    }

    /// `n` more reads paused for the memory budget since the last call.
    pub fn budget_reads_paused(&self, n: u64) {
        counter!(MEMORY_BUDGET_PAUSED_READS_TOTAL).increment(n);
    }

    /// A new session was refused for the memory budget.
    pub fn budget_session_refused(&self) {
        counter!(MEMORY_BUDGET_REFUSED_SESSIONS_TOTAL).increment(1);
    }

    /// A client asked to resume its session.
    pub fn resume_attempted(&self) {
        self.inner.atomics.resumes_attempted.fetch_add(1, Relaxed);
        counter!(RESUMES_ATTEMPTED_TOTAL).increment(1);
    }

    /// A resume replayed every missed message.
    pub fn resume_succeeded(&self) {
        self.inner.atomics.resumes_succeeded.fetch_add(1, Relaxed);
        counter!(RESUMES_SUCCEEDED_TOTAL).increment(1);
    }

    /// A resume failed for `reason` (for example `"expired"`, `"gap"`, `"unknown_session"`).
    pub fn resume_lost(&self, reason: &'static str) {
        self.inner.resumes_lost.add(reason);
        counter!(RESUMES_LOST_TOTAL, REASON => reason).increment(1);
    }

    /// Breaker `name` is in `state`. Breakers start closed; reporting a different state than
    /// the last one counts a transition.
    pub fn breaker_state(&self, name: &str, state: BreakerState) {
        let changed = {
            let mut breakers = self.inner.breakers.lock();
            let entry = breakers
                .entry(name.to_owned())
                .or_insert(Breaker { state: BreakerState::Closed, transitions: 0 });
            let changed = entry.state != state;
            entry.state = state;
            entry.transitions += u64::from(changed);
            changed
        };
        let name = name.to_owned();
        gauge!(CIRCUIT_BREAKER_STATE, BREAKER => name.clone()).set(state.code());
        if changed {
            let state = state.as_str();
            counter!(CIRCUIT_BREAKER_TRANSITIONS_TOTAL, BREAKER => name, STATE => state)
                .increment(1);
        }
    }

    /// A heartbeat round trip took `rtt`.
    pub fn heartbeat_rtt(&self, rtt: Duration) {
        self.inner.heartbeat.record(rtt);
        histogram!(HEARTBEAT_RTT_SECONDS).record(rtt.as_secs_f64());
    }

    /// An auth token refresh finished, successfully or not.
    pub fn token_refreshed(&self, success: bool) {
        let a = &self.inner.atomics;
        let (cell, outcome) = match success {
            true => (&a.tokens_ok, "success"),
            false => (&a.tokens_failed, "failure"),
        };
        cell.fetch_add(1, Relaxed);
        counter!(TOKEN_REFRESHES_TOTAL, OUTCOME => outcome).increment(1);
    }

    /// A message was sent to `client` (per-client, label capped).
    pub fn client_message_sent(&self, client: &str) {
        self.client_message(client, Direction::Sent, CLIENT_MESSAGES_SENT_TOTAL);
    }

    /// A message was received from `client` (per-client, label capped).
    pub fn client_message_received(&self, client: &str) {
        self.client_message(client, Direction::Received, CLIENT_MESSAGES_RECEIVED_TOTAL);
    }

    /// Frees `client`'s label slot (when it leaves for good); returns whether it had one.
    pub fn release_client(&self, client: &str) -> bool {
        self.inner.clients.lock().release(client)
    }

    /// Every metric now, from the in-process atomics; works with or without a recorder.
    pub fn snapshot(&self) -> Snapshot {
        let inner = &self.inner;
        let (mut connections, mut messages, queue, mut resumes) = inner.atomics.sections();
        connections.closed_by_reason = inner.closed.get();
        connections.closed = connections.closed_by_reason.values().sum();
        connections.failed_by_reason = inner.failed.get();
        messages.dead_lettered_by_reason = inner.dead_lettered.get();
        resumes.lost_by_reason = inner.resumes_lost.get();
        Snapshot {
            connections,
            messages,
            queue,
            resumes,
            circuit_breakers: inner.breakers.lock().clone(),
            heartbeat_rtt: inner.heartbeat.get(),
            send_latency: inner.send_latency.get(),
            token_refreshes: inner.atomics.tokens(),
            clients: inner.clients.lock().stats(),
        }
    }

    fn client_message(&self, client: &str, direction: Direction, name: &'static str) {
        let assignment = self.inner.clients.lock().record(client, Some(direction));
        if assignment.newly_overflowed {
            counter!(CLIENT_LABELS_OVERFLOWED_TOTAL).increment(1);
        }
        counter!(name, CLIENT => assignment.label).increment(1);
    }
}

impl BreakerState {
    /// The `state` label value: `closed`, `half_open` or `open`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::HalfOpen => "half_open",
            Self::Open => "open",
        }
    }

    /// The gauge value: 0 closed, 1 half-open, 2 open.
    pub fn code(self) -> f64 {
        match self {
            Self::Closed => 0.0,
            Self::HalfOpen => 1.0,
            Self::Open => 2.0,
        }
    }
}

impl Inner {
    fn new(config: MetricsConfig) -> Self {
        Self {
            atomics: Atomics::default(),
            hot: crate::hot::Hot::register(),
            closed: ReasonCounts::default(),
            failed: ReasonCounts::default(),
            dead_lettered: ReasonCounts::default(),
            resumes_lost: ReasonCounts::default(),
            breakers: Mutex::new(BTreeMap::new()),
            heartbeat: LatencyCell::default(),
            send_latency: LatencyCell::default(),
            clients: Mutex::new(ClientLabels::new(config.client_label_cap, config.overflow_memory)),
        }
    }
}

/// Subtracts one without going below zero (a close reported twice must not wrap the gauge).
fn saturating_decrement(cell: &AtomicU64) -> u64 {
    let previous =
        cell.fetch_update(Relaxed, Relaxed, |v| Some(v.saturating_sub(1))).unwrap_or_default();
    previous.saturating_sub(1)
}
