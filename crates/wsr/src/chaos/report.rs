//! The chaos report: totals, per-client rows, faults, recovery times, memory; printed as a
//! table for people or as JSON for scripts.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::chaos::ChaosConfig;
use crate::chaos::check::{DirectionStats, StreamOutcome, check_sequence, check_stream};
use crate::chaos::driver::ClientOutcome;
use crate::chaos::faults::FaultKind;
use crate::chaos::server::LogInner;

mod human;

/// Faults injected, by kind.
pub type FaultCounts = BTreeMap<FaultKind, u64>;

/// Everything a run produced, before checking.
pub(crate) struct Run {
    pub(crate) outcomes: Vec<ClientOutcome>,
    pub(crate) server: LogInner,
    pub(crate) faults: FaultCounts,
    pub(crate) elapsed: Duration,
    pub(crate) peak_memory_kb: Option<u64>,
}

/// The verdict and the numbers behind it.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct Report {
    /// True when nothing was lost, duplicated, reordered or corrupted, and every session
    /// loss was reported to the application.
    pub passed: bool,
    /// What ran.
    pub settings: Settings,
    /// Sums over all clients.
    pub totals: Totals,
    /// Faults injected, by kind.
    pub faults: FaultCounts,
    /// From each fault to the next message delivered on that client.
    pub recovery_ms: Recovery,
    /// Client sessions that ended without a close, by reason.
    pub sessions_lost: BTreeMap<String, LossCount>,
    /// Server handler errors, by text.
    pub server_errors: BTreeMap<String, u64>,
    /// One row per client.
    pub clients: Vec<ClientReport>,
    /// Peak resident memory of the whole process (server, proxies, clients), KiB.
    pub peak_memory_kb: Option<u64>,
    /// Wall time of the run, ms.
    pub elapsed_ms: u64,
}

/// The run's settings.
#[derive(Clone, Debug, Serialize)]
pub struct Settings {
    /// Clients.
    pub clients: u32,
    /// Messages per client and direction.
    pub messages: u64,
    /// Stream chunks per client.
    pub chunks: u64,
    /// Enabled fault kinds.
    pub faults: String,
    /// Time between faults, ms.
    pub fault_interval_ms: u64,
    /// Schedule seed.
    pub seed: u64,
    /// Send and fault phase, ms.
    pub duration_ms: u64,
}

/// Sums over all clients.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Totals {
    /// Messages sent, both directions.
    pub sent: u64,
    /// Messages delivered, both directions.
    pub delivered: u64,
    /// Messages and stream chunks missing without an explicit session loss.
    pub lost: u64,
    /// Duplicate deliveries.
    pub duplicated: u64,
    /// Deliveries after a later message.
    pub out_of_order: u64,
    /// Deliveries never sent (unreadable, misrouted) plus corrupted streams.
    pub corrupted: u64,
    /// Messages missing after an explicit session loss (allowed by the guarantee).
    pub abandoned: u64,
    /// Client to server.
    pub client_to_server: DirectionStats,
    /// Server to client (echoes).
    pub server_to_client: DirectionStats,
    /// Streams requested.
    pub streams: u64,
    /// Streams received whole with a verified digest.
    pub streams_complete: u64,
    /// Streams with a misplaced, wrong or duplicate chunk, or a digest mismatch.
    pub corrupted_streams: u64,
    /// Streams cut short without an explicit session loss.
    pub incomplete_streams: u64,
    /// Faults that hit a client while its stream was partly received.
    pub faults_mid_stream: u64,
    /// Connections after the first, over all proxies.
    pub reconnects: u64,
    /// Reconnecting-to-connected transitions the clients observed.
    pub resumes: u64,
    /// Faults injected.
    pub faults_injected: u64,
    /// Client sessions lost.
    pub sessions_lost: u64,
    /// Of those, lost without the application being told.
    pub sessions_lost_silently: u64,
}

/// Sessions lost for one reason.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct LossCount {
    /// Reported to the application as `SessionLost`.
    pub told: u64,
    /// Not reported.
    pub silent: u64,
}

/// Recovery time percentiles, ms.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Recovery {
    /// Faults followed by a delivery on their client.
    pub measured: u64,
    /// Median.
    pub p50: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Longest.
    pub max: u64,
}

/// One client.
#[derive(Clone, Debug, Serialize)]
pub struct ClientReport {
    /// Its index.
    pub client: u32,
    /// Client to server.
    pub up: DirectionStats,
    /// Server to client.
    pub down: DirectionStats,
    /// Its stream.
    pub stream: StreamOutcome,
    /// Stream chunks received.
    pub chunks_received: u64,
    /// Reconnections.
    pub reconnects: u64,
    /// Resumes observed.
    pub resumes: u64,
    /// Why its session was lost, if it was.
    pub lost: Option<String>,
    /// Whether the application was told of that loss.
    pub told: bool,
}

impl Report {
    pub(crate) fn build(config: &ChaosConfig, run: Run) -> Self {
        let clients: Vec<ClientReport> = (0..)
            .zip(&run.outcomes)
            .map(|(id, outcome)| client_report(id, config.chunks, outcome, &run.server))
            .collect();
        let mut totals = Totals::default();
        for (row, outcome) in clients.iter().zip(&run.outcomes) {
            totals.add(row, outcome.unreadable);
            totals.faults_mid_stream += outcome.faults_mid_stream;
        }
        totals.corrupted += run.server.unreadable;
        totals.faults_injected = run.faults.values().sum();
        Self {
            passed: totals.passed(),
            settings: Settings::of(config),
            totals,
            faults: run.faults,
            recovery_ms: Recovery::of(run.outcomes.iter().flat_map(|o| &o.recoveries)),
            sessions_lost: losses(&clients),
            server_errors: run.server.errors,
            clients,
            peak_memory_kb: run.peak_memory_kb,
            elapsed_ms: millis(run.elapsed),
        }
    }
}

impl Settings {
    fn of(config: &ChaosConfig) -> Self {
        Self {
            clients: config.clients,
            messages: config.messages,
            chunks: config.chunks,
            faults: config.faults.to_string(),
            fault_interval_ms: config.fault_interval_ms,
            seed: config.seed,
            duration_ms: millis(config.duration),
        }
    }
}

impl Totals {
    fn add(&mut self, row: &ClientReport, unreadable: u64) {
        self.client_to_server += row.up;
        self.server_to_client += row.down;
        let mut both = row.up;
        both += row.down;
        self.sent += both.sent;
        self.delivered += both.delivered;
        self.lost += both.lost;
        self.duplicated += both.duplicated;
        self.out_of_order += both.out_of_order;
        self.corrupted += both.corrupted;
        self.abandoned += both.abandoned;
        self.corrupted += unreadable;
        self.add_stream(row);
        self.reconnects += row.reconnects;
        self.resumes += row.resumes;
        if row.lost.is_some() {
            self.sessions_lost += 1;
            self.sessions_lost_silently += u64::from(!row.told);
        }
    }

    fn add_stream(&mut self, row: &ClientReport) {
        self.streams += u64::from(row.stream != StreamOutcome::None);
        match row.stream {
            StreamOutcome::Complete => self.streams_complete += 1,
            StreamOutcome::Corrupted => {
                self.corrupted_streams += 1;
                self.corrupted += 1;
            }
            StreamOutcome::Incomplete => {
                self.incomplete_streams += 1;
                self.lost += 1;
            }
            StreamOutcome::Abandoned | StreamOutcome::None => {}
        }
    }

    fn passed(&self) -> bool {
        self.lost == 0
            && self.duplicated == 0
            && self.out_of_order == 0
            && self.corrupted == 0
            && self.sessions_lost_silently == 0
    }
}

impl Recovery {
    fn of<'a>(times: impl Iterator<Item = &'a Duration>) -> Self {
        let mut ms: Vec<u64> = times.map(|t| millis(*t)).collect();
        ms.sort_unstable();
        let rank = |q: f64| {
            let n = ms.len() as f64;
            let i = ((q * n).ceil() as usize).clamp(1, ms.len().max(1)) - 1;
            ms.get(i).copied().unwrap_or(0)
        };
        Self {
            measured: ms.len() as u64,
            p50: rank(0.50),
            p99: rank(0.99),
            max: ms.last().copied().unwrap_or(0),
        }
    }
}

fn client_report(id: u32, chunks: u64, outcome: &ClientOutcome, server: &LogInner) -> ClientReport {
    let told = outcome.loss.as_ref().is_some_and(|l| l.told);
    let record = server.clients.get(&id).cloned().unwrap_or_default();
    let chunks_received = outcome.chunks.len() as u64;
    ClientReport {
        client: id,
        up: check_sequence(outcome.sent, &record.received, told),
        down: check_sequence(record.echoed, &outcome.echoes, told),
        stream: check_stream(id, chunks, &outcome.chunks, outcome.digest_failed, told),
        chunks_received,
        reconnects: outcome.reconnects,
        resumes: outcome.resumes,
        lost: outcome.loss.as_ref().map(|l| l.reason.clone()),
        told,
    }
}

fn losses(clients: &[ClientReport]) -> BTreeMap<String, LossCount> {
    let mut map: BTreeMap<String, LossCount> = BTreeMap::new();
    for c in clients {
        if let Some(reason) = &c.lost {
            let count = map.entry(reason.clone()).or_default();
            if c.told { count.told += 1 } else { count.silent += 1 }
        }
    }
    map
}

pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
