//! `cargo xtask mutants`: mutation testing with cargo-mutants, per crate, against the
//! 90 % target of `docs/mutation.md`.
//!
//! For each crate it runs `cargo mutants -p CRATE` (output in `target/mutants/CRATE`), reads
//! `outcomes.json` and `missed.txt`, and prints the crate's row. Without `--check` it then
//! rewrites the table and the missed list in `docs/mutation.md` (between its markers) for the
//! commit it ran on. It fails when a crate scores under [`TARGET`]. Equivalent mutants are
//! excluded in `.cargo/mutants.toml`, one line of reason each. cargo-mutants [`VERSION`] is
//! installed with `cargo install --locked` when absent.

mod report;

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context as _, bail};

pub use report::Score;

/// The pinned cargo-mutants version.
pub const VERSION: &str = "27.1.0";
/// The lowest accepted share of caught mutants per crate.
pub const TARGET: f64 = 0.90;
/// The crates of a full run: the pattern crates, `backoff` and `ws-proto`.
pub const CRATES: &[&str] = &[
    "backoff",
    "batch-queue",
    "circuit-breaker",
    "conn-state",
    "dedup",
    "perf-monitor",
    "reconnect",
    "state-sync",
    "ws-metrics",
    "ws-proto",
];

/// Mutates `crates` (all of [`CRATES`] when empty); with `write_docs`, records the result in
/// `docs/mutation.md`. The error lists the crates under target.
pub fn run(root: &Path, crates: &[String], write_docs: bool) -> anyhow::Result<Vec<Score>> {
    ensure_installed(root)?;
    let crates: Vec<String> = if crates.is_empty() {
        CRATES.iter().map(|c| (*c).to_owned()).collect()
    } else {
        crates.to_vec()
    };
    let mut scores = Vec::new();
    for name in &crates {
        let score = mutate(root, name)?;
        println!("{}", score.row());
        scores.push(score);
    }
    if write_docs {
        report::write_docs(root, &scores)?;
    }
    let below: Vec<&str> =
        scores.iter().filter(|s| s.score() < TARGET).map(|s| s.name.as_str()).collect();
    if !below.is_empty() {
        bail!("under the {:.0} % target: {}", TARGET * 100.0, below.join(", "));
    }
    Ok(scores)
}

fn mutate(root: &Path, name: &str) -> anyhow::Result<Score> {
    let out = root.join("target/mutants").join(name);
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let status = cargo(root)
        .args(["mutants", "--no-shuffle", "--timeout", "300", "-p", name, "-o"])
        .arg(&out)
        .status()
        .with_context(|| format!("could not start cargo mutants for {name}"))?;
    // cargo-mutants exits 2 when mutants were missed, 3 on timeouts: both are results.
    if !matches!(status.code(), Some(0 | 2 | 3)) {
        bail!("cargo mutants -p {name} failed with {status}");
    }
    Score::read(name, &out.join("mutants.out"))
}

fn ensure_installed(root: &Path) -> anyhow::Result<()> {
    let version = cargo(root).args(["mutants", "--version"]).stderr(Stdio::null()).output();
    let installed = version.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(VERSION));
    if installed {
        return Ok(());
    }
    println!("installing cargo-mutants {VERSION}");
    let status = cargo(root)
        .args(["install", "--locked", &format!("cargo-mutants@{VERSION}")])
        .status()
        .context("could not start cargo install")?;
    if !status.success() {
        bail!("cargo install cargo-mutants@{VERSION} failed with {status}");
    }
    Ok(())
}

/// The cargo that launched us (`$CARGO`), falling back to `cargo` on `PATH`.
fn cargo(root: &Path) -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(root);
    command
}
