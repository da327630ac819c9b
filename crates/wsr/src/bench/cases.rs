//! What `wsr bench` runs: the matrix of cases (full or `--quick`), each with its variants,
//! and the alternating loop that runs rep 0 of every case and variant, then rep 1, ...

use std::collections::BTreeMap;
use std::time::Duration;

use super::child::ServerKind;
use super::runs;

/// One run's measurements, by metric name.
pub type Sample = BTreeMap<&'static str, f64>;

/// Which way the messages flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    /// Client to server.
    C2s,
    /// Server to client.
    S2c,
}

/// A throughput workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tput {
    /// Direction.
    pub dir: Dir,
    /// Connections (sessions), all sending at once.
    pub conns: usize,
    /// Payload bytes per message.
    pub size: usize,
    /// Messages per connection.
    pub msgs: u64,
}

/// What one case measures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Workload {
    /// Messages as fast as possible; the clock stops when the receiver confirmed all.
    Throughput(Tput),
    /// 64 B echoes at a fixed total `rate` per second over `conns` for `secs`.
    Echo {
        /// Connections.
        conns: usize,
        /// Messages per second, all connections together.
        rate: u64,
        /// Seconds of sending.
        secs: u64,
    },
    /// `conns` idle connections: server RSS growth per connection, server CPU while idle.
    Idle {
        /// Connections.
        conns: usize,
        /// Wait after the last connect before reading RSS.
        settle: Duration,
        /// Window over which idle server CPU is measured.
        cpu_window: Duration,
    },
    /// Forced resets through a fault proxy: drop → first message over the resumed session.
    Recovery {
        /// Resets per run.
        drops: u32,
        /// Resets on one session before a new one starts.
        per_session: u32,
    },
}

/// One side of a comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// Raw tokio-tungstenite, one flush per message (`SinkExt::send`), default config.
    RawSend,
    /// Raw tokio-tungstenite, batched writes (`feed`, one flush at the end), default config.
    RawFeed,
    /// Raw tokio-tungstenite, default config (128 KiB read buffer), for idle memory.
    Raw128k,
    /// Raw tokio-tungstenite with `read_buffer_size` 4 KiB on both ends.
    Raw4k,
    /// ws-reliable sessions, default configs on both ends.
    Reliable,
}

impl Variant {
    /// Its column label.
    pub fn label(self) -> &'static str {
        match self {
            Variant::RawSend => "raw-send",
            Variant::RawFeed => "raw-feed",
            Variant::Raw128k => "raw-128k",
            Variant::Raw4k => "raw-4k",
            Variant::Reliable => "reliable",
        }
    }

    /// The server child it runs against.
    pub fn server(self) -> ServerKind {
        match self {
            Variant::RawSend | Variant::RawFeed | Variant::Raw128k => ServerKind::Raw,
            Variant::Raw4k => ServerKind::Raw4k,
            Variant::Reliable => ServerKind::Reliable,
        }
    }
}

/// A named workload, its variants, and how many alternating reps it gets.
#[derive(Clone, Debug)]
pub struct Case {
    /// The name printed and used in the JSON.
    pub name: String,
    /// What runs.
    pub workload: Workload,
    /// The sides compared; `reliable` is compared against every other.
    pub variants: Vec<Variant>,
    /// Repetitions.
    pub reps: usize,
}

/// The case matrix: `--quick` or full; `reps` overrides every case's repetitions.
pub fn plan(quick: bool, reps: Option<usize>) -> Vec<Case> {
    let mut cases = throughput_cases(quick);
    let (echo_secs, echo_reps) = if quick { (3, 3) } else { (5, 5) };
    let echo = |conns, rate| Workload::Echo { conns, rate, secs: echo_secs };
    let echo_variants = vec![Variant::RawSend, Variant::Reliable];
    cases.push(case("echo 1 conn @1000/s", echo(1, 1000), echo_variants.clone(), echo_reps));
    if !quick {
        cases.push(case("echo 100 conns @10000/s", echo(100, 10_000), echo_variants, 5));
    }
    let idle_variants = vec![Variant::Raw4k, Variant::Raw128k, Variant::Reliable];
    let idle = |conns, cpu_secs| Workload::Idle {
        conns,
        settle: Duration::from_millis(1500),
        cpu_window: Duration::from_secs(cpu_secs),
    };
    cases.push(case("idle 1000 conns", idle(1000, 3), idle_variants.clone(), 3));
    if !quick {
        cases.push(case("idle 10000 conns", idle(10_000, 30), idle_variants, 1));
    }
    cases.extend(recovery_cases(quick));
    if let Some(reps) = reps {
        cases.iter_mut().for_each(|c| c.reps = reps);
    }
    cases
}

fn recovery_cases(quick: bool) -> [Case; 2] {
    let drops = if quick { 10 } else { 20 };
    let recovery = Workload::Recovery { drops, per_session: 5 };
    let burst = Workload::Recovery { drops: 10, per_session: 10 };
    [
        case("recovery (reset)", recovery, vec![Variant::Reliable], 3),
        case("recovery burst (10 resets, 1 session)", burst, vec![Variant::Reliable], 1),
    ]
}

fn throughput_cases(quick: bool) -> Vec<Case> {
    let dirs: &[Dir] = if quick { &[Dir::C2s] } else { &[Dir::C2s, Dir::S2c] };
    let sizes: &[usize] = if quick { &[64, 1024] } else { &[64, 1024, 64 << 10] };
    let mut cases = Vec::new();
    for &dir in dirs {
        for conns in [1, 100] {
            for &size in sizes {
                let msgs = messages(conns, size);
                let tput = Tput { dir, conns, size, msgs };
                let variants = vec![Variant::RawSend, Variant::RawFeed, Variant::Reliable];
                let name = throughput_name(&tput);
                cases.push(case(
                    &name,
                    Workload::Throughput(tput),
                    variants,
                    if quick { 3 } else { 5 },
                ));
            }
        }
    }
    cases
}

/// Messages per connection: the baseline lab's totals (300,000 / 200,000 / 20,000), shared
/// among the connections.
fn messages(conns: usize, size: usize) -> u64 {
    let total: u64 = match size {
        0..=256 => 300_000,
        257..=4096 => 200_000,
        _ => 20_000,
    };
    (total / conns as u64).max(10)
}

/// A case's name for a throughput workload, e.g. `c2s 100 conns 1 KiB`.
pub fn throughput_name(tput: &Tput) -> String {
    let dir = if tput.dir == Dir::C2s { "c2s" } else { "s2c" };
    let conns = if tput.conns == 1 { "1 conn".to_owned() } else { format!("{} conns", tput.conns) };
    let size = match tput.size {
        s if s >= 1024 && s % 1024 == 0 => format!("{} KiB", s / 1024),
        s => format!("{s} B"),
    };
    format!("{dir} {conns} {size}")
}

fn case(name: &str, workload: Workload, variants: Vec<Variant>, reps: usize) -> Case {
    Case { name: name.to_owned(), workload, variants, reps }
}

/// Every case's samples: `[case][variant][rep]`, `None` where a run failed.
pub type Results = Vec<Vec<Vec<Option<Sample>>>>;

/// Runs the matrix, alternating: rep 0 of every case and variant, then rep 1, and so on.
/// Failed runs are recorded as `None` and their errors returned.
pub async fn run_all(cases: &[Case]) -> (Results, Vec<String>) {
    let mut results: Results = cases.iter().map(|c| vec![Vec::new(); c.variants.len()]).collect();
    let mut errors = Vec::new();
    let total: usize = cases.iter().map(|c| c.reps * c.variants.len()).sum();
    let max_reps = cases.iter().map(|c| c.reps).max().unwrap_or(0);
    let mut done = 0;
    for rep in 0..max_reps {
        for (ci, case) in cases.iter().enumerate().filter(|(_, c)| rep < c.reps) {
            for (vi, &variant) in case.variants.iter().enumerate() {
                done += 1;
                let label = format!("[{done}/{total}] {} {} rep {rep}", case.name, variant.label());
                let sample = run_logged(case, variant, &label, &mut errors).await;
                results[ci][vi].push(sample);
            }
        }
    }
    (results, errors)
}

/// One run, with its outcome printed to stderr as progress.
async fn run_logged(
    case: &Case,
    variant: Variant,
    label: &str,
    errors: &mut Vec<String>,
) -> Option<Sample> {
    match runs::run_one(&case.workload, variant).await {
        Ok(sample) => {
            eprintln!("{label}: {}", brief(&sample));
            Some(sample)
        }
        Err(e) => {
            eprintln!("{label}: FAILED {e}");
            errors.push(format!("{label}: {e}"));
            None
        }
    }
}

fn brief(sample: &Sample) -> String {
    let parts: Vec<String> = sample.iter().map(|(k, v)| format!("{k}={v:.4}")).collect();
    parts.join(" ")
}
