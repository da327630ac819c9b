//! `wsr bench`: ws-reliable sessions against raw tokio-tungstenite, same workload, same run.
//!
//! The server runs as a separate OS process (`wsr bench --serve KIND`, a fresh one per run,
//! port read from its stdout); the clients run in this process. Every case runs its variants
//! alternating (rep 0 of everything, then rep 1, ...) so machine noise hits both sides; each
//! metric is summarised by its median `[min..max]`, and `reliable` is compared with each raw
//! variant pair by pair (rep *i* over rep *i*, then the median). Loopback only, bounded in
//! count and time. See `docs/performance.md` for the method and the latest results.
//!
//! - throughput: 1 and 100 connections, 64 B / 1 KiB / 64 KiB, both directions. Raw: the
//!   receiver counts and answers (`ACK`, `END`); reliable: the sender's `flush()` resolved
//!   (the peer acknowledged everything). Raw both with a flush per message and batched;
//! - echo round trip at a fixed rate: p50, p99, p99.9;
//! - idle memory: server RSS growth per connection at 1,000 (and 10,000) connections, and the
//!   server's CPU while they sit idle;
//! - recovery: reset through a fault proxy → first message over the resumed session;
//! - CPU per message, both processes (`/proc/self/stat`).

pub mod cases;
pub mod child;
pub mod procfs;
pub mod raw;
pub mod raw_server;
pub mod recovery;
pub mod rel_server;
pub mod reliable;
pub mod report;
pub mod runs;
pub mod stats;
pub mod wire;

use std::time::Instant;

pub use child::ServerKind;
pub use report::Report;

use crate::error::{Error, Result};

/// `wsr bench` settings.
#[derive(Clone, Debug, Default, clap::Args)]
#[non_exhaustive]
pub struct BenchArgs {
    /// The reduced matrix (under 3 minutes on 2 cores): c2s only, 1 and 100 connections at
    /// 64 B and 1 KiB, echo at 1 connection, 1,000 idle connections, 3 reps. Default off.
    #[arg(long)]
    pub quick: bool,
    /// Print the report as JSON (progress still goes to stderr). Default off.
    #[arg(long)]
    pub json: bool,
    /// Repetitions of every case (default: 3 with `--quick`; 5 for throughput and echo,
    /// 3 for idle 1,000 and recovery, 1 for idle 10,000 otherwise).
    #[arg(long)]
    pub reps: Option<usize>,
    /// Only the cases whose name contains this text (e.g. `c2s 1 conn`). Default all.
    #[arg(long)]
    pub only: Option<String>,
    /// Only the variants whose label contains this text (e.g. `reliable`, for profiling).
    /// Default all; ratios need `reliable` and another.
    #[arg(long)]
    pub variant: Option<String>,
    /// Internal: run as the benchmark's server child process of this kind.
    #[arg(long, hide = true, value_enum)]
    pub serve: Option<ServerKind>,
}

/// Runs the benchmark (or, with `--serve`, its server child) and prints the report.
pub async fn run(args: BenchArgs) -> Result<()> {
    if let Some(kind) = args.serve {
        return child::serve(kind).await;
    }
    let report = measure(&args).await?;
    if args.json {
        let json = serde_json::to_string_pretty(&report).map_err(io_error)?;
        println!("{json}");
    } else {
        print!("{}", report.human());
    }
    Ok(())
}

/// Runs the matrix `args` selects and summarises it.
pub async fn measure(args: &BenchArgs) -> Result<Report> {
    let mut cases = cases::plan(args.quick, args.reps);
    if let Some(only) = &args.only {
        cases.retain(|c| c.name.contains(only.as_str()));
    }
    if let Some(variant) = &args.variant {
        cases.iter_mut().for_each(|c| c.variants.retain(|v| v.label().contains(variant.as_str())));
        cases.retain(|c| !c.variants.is_empty());
    }
    if cases.is_empty() {
        return Err(Error::Invalid("no case matches --only and --variant".to_owned()));
    }
    let (date, load_before, start) = (utc_now(), procfs::load_average(), Instant::now());
    let (results, errors) = cases::run_all(&cases).await;
    let summaries = report::summarise(&cases, &results);
    Ok(Report {
        date,
        command: std::env::args().collect::<Vec<_>>().join(" "),
        load: [load_before, procfs::load_average()],
        secs: start.elapsed().as_secs_f64(),
        targets: report::targets::evaluate(&summaries),
        cases: summaries,
        errors,
    })
}

/// Any displayable failure as an I/O error of this crate.
fn io_error(e: impl std::fmt::Display) -> Error {
    Error::Io(std::io::Error::other(e.to_string()))
}

/// Nanoseconds from `base` to now.
fn nanos_since(base: Instant) -> u64 {
    u64::try_from(base.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// Microseconds from a stamp taken with [`nanos_since`] to now.
fn micros_since(base: Instant, stamp: u64) -> f64 {
    nanos_since(base).saturating_sub(stamp) as f64 / 1e3
}

/// The current UTC time, RFC 3339, from `date` (no clock crate in the tree).
fn utc_now() -> String {
    let out = std::process::Command::new("date").args(["-u", "+%Y-%m-%dT%H:%M:%SZ"]).output();
    out.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned()).unwrap_or_default()
}
