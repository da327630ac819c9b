//! `wsr chaos`: the delivery guarantee under injected network faults.
//!
//! A server (echo, recording what arrives per client) and `clients` clients, each through its
//! own fault proxy on loopback. Every client sends `messages` numbered messages paced over
//! `duration`, and halfway through asks for a stream of `chunks` chunks; the server echoes
//! every message. Meanwhile an injector breaks one random client's connection every
//! `fault_interval_ms`: resets, clean closes, stalls of 0.2 to 1.5 s, cuts mid-frame. Then
//! [`check`] compares what every application received with what was sent, per client and
//! direction, and [`report`] prints it.

pub mod check;
mod driver;
pub mod faults;
pub mod report;
mod server;

use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ws_reliable::{Client, ClientConfig, ServerConfig};

use crate::error::{Error, Result};
use driver::{ClientOutcome, Plan, Target};
use faults::{FaultSpec, Schedule, parse_duration};
pub use report::Report;

/// `wsr chaos` settings. Build from [`Default`] and assign fields.
#[derive(Clone, Debug, clap::Args)]
#[non_exhaustive]
pub struct ChaosConfig {
    /// Concurrent clients, each behind its own fault proxy. Default 20.
    #[arg(long, default_value_t = 20)]
    pub clients: u32,
    /// Messages each client sends; the server echoes each one back. Default 500.
    #[arg(long, default_value_t = 500)]
    pub messages: u64,
    /// Chunks of the stream each client requests halfway through (0: none). Default 50.
    #[arg(long, default_value_t = 50)]
    pub chunks: u64,
    /// Fault kinds: comma list of reset, close, stall, cut; or all, or none. Default all.
    #[arg(long, default_value = "all")]
    pub faults: FaultSpec,
    /// Time between two faults, each on one random client's proxy. Default 150 ms.
    #[arg(long, default_value_t = 150)]
    pub fault_interval_ms: u64,
    /// Seed of the fault schedule. Default 42.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// How long messages are paced over and faults injected (`20s`, `1500ms`, `1m`).
    /// Default 20 s.
    #[arg(long, default_value = "20s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Longest wait after `duration` for the last messages. Default 30 s.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub drain: Duration,
    /// Heartbeat interval and timeout in milliseconds, both sides (short, so stalls are
    /// detected). Default 300.
    #[arg(long, default_value_t = 300)]
    pub heartbeat_ms: u64,
    /// Resume window in milliseconds, both sides. Default 30000.
    #[arg(long, default_value_t = 30_000)]
    pub resume_window_ms: u64,
    /// Print the report as JSON and hide the progress bar. Default off.
    #[arg(long)]
    pub json: bool,
}

impl Default for ChaosConfig {
    fn default() -> Self {
        Self {
            clients: 20,
            messages: 500,
            chunks: 50,
            faults: FaultSpec::default(),
            fault_interval_ms: 150,
            seed: 42,
            duration: Duration::from_secs(20),
            drain: Duration::from_secs(30),
            heartbeat_ms: 300,
            resume_window_ms: 30_000,
            json: false,
        }
    }
}

impl ChaosConfig {
    /// Checks the values once.
    pub fn validate(&self) -> Result<()> {
        if self.clients == 0 || self.messages == 0 {
            return Err(Error::Invalid("clients and messages must be positive".into()));
        }
        if self.heartbeat_ms == 0 || self.duration.is_zero() {
            return Err(Error::Invalid("heartbeat and duration must be positive".into()));
        }
        Ok(())
    }

    /// The per-session protocol settings both sides use.
    pub fn session(&self) -> ws_reliable::proto::Config {
        let heartbeat = Duration::from_millis(self.heartbeat_ms);
        ws_reliable::proto::Config::default()
            .heartbeat(heartbeat, heartbeat)
            .resume_window(Duration::from_millis(self.resume_window_ms))
    }

    fn fault_interval(&self) -> Duration {
        Duration::from_millis(self.fault_interval_ms)
    }

    /// Stream chunks are spread over a quarter of the run, so faults hit streams in flight.
    fn stream_pace(&self) -> Duration {
        self.duration.div_f64(4.0 * self.chunks.max(1) as f64)
    }

    fn plan(&self, start: Instant) -> Plan {
        Plan {
            messages: self.messages,
            chunks: self.chunks,
            start,
            pace: self.duration.div_f64(self.messages as f64),
            deadline: start + self.duration + self.drain,
        }
    }
}

/// Runs the chaos test and returns its report; [`Report::passed`] is the verdict.
pub async fn run(config: ChaosConfig) -> Result<Report> {
    config.validate()?;
    let started = Instant::now();
    let log = server::ServerLog::default();
    let server_config = ServerConfig::default().session(config.session());
    let (server, addr) = server::start(server_config, log.clone(), config.stream_pace()).await?;
    let targets = driver::start_targets(addr, config.clients).await?;
    let mut clients = Vec::new();
    for target in &targets {
        let client_config = ClientConfig::default().session(config.session());
        clients.push(driver::connect(client_config, target).await?);
    }
    let (outcomes, faults) = drive(&config, clients, targets).await?;
    server.shutdown();
    let run = report::Run {
        outcomes,
        server: log.snapshot(),
        faults,
        elapsed: started.elapsed(),
        peak_memory_kb: peak_memory_kb(),
    };
    Ok(Report::build(&config, run))
}

/// Runs the clients and the injector to the end.
async fn drive(
    config: &ChaosConfig,
    clients: Vec<Client>,
    targets: Vec<Arc<Target>>,
) -> Result<(Vec<ClientOutcome>, report::FaultCounts)> {
    let progress = progress_bar(config);
    let plan = config.plan(Instant::now());
    let schedule = Schedule::new(config.seed, &config.faults, targets.len());
    let until = plan.start + config.duration;
    let injector = driver::inject_faults(targets.clone(), schedule, config.fault_interval(), until);
    let injector = tokio::spawn(injector);
    let mut tasks = Vec::new();
    for (id, (client, target)) in (0..).zip(clients.into_iter().zip(targets)) {
        tasks.push(tokio::spawn(driver::run_client(id, client, target, plan, progress.clone())));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await?);
    }
    let faults = injector.await?;
    progress.finish_and_clear();
    Ok((outcomes, faults))
}

fn progress_bar(config: &ChaosConfig) -> ProgressBar {
    if config.json {
        return ProgressBar::hidden();
    }
    let total = u64::from(config.clients) * (config.messages + config.chunks);
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(
        "{spinner} chaos {elapsed_precise} [{bar:40}] {pos}/{len} deliveries to clients",
    );
    if let Ok(style) = style {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// The process's peak resident memory (`VmHWM` in `/proc/self/status`), in KiB; `None`
/// where there is no procfs.
pub fn peak_memory_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
