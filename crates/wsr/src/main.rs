//! `wsr`: serve, client and chaos. This file only parses arguments and dispatches.

// A command-line tool: its output is the product, so printing is intended.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;
use wsr::chaos::ChaosConfig;
use wsr::client::ClientArgs;
use wsr::serve::ServeConfig;

/// mimalloc returns freed memory to the OS (after a short purge delay); glibc's malloc kept
/// most of a burst of large messages in its arenas (155 MB after the sessions of a 200-message
/// burst ended, from 6.6 MB at start: issue 15).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Reliable WebSocket sessions: a relay server, a client, and a chaos run.
#[derive(Parser)]
#[command(name = "wsr", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a relay server: echo, rooms (`/join ROOM`, `/say ROOM text`), `/stream N`.
    Serve(ServeConfig),
    /// Connect, send stdin lines, print what arrives and connection state changes.
    Client(ClientArgs),
    /// Run clients through fault proxies against a server and check every delivery.
    Chaos(ChaosConfig),
    /// Measure ws-reliable against raw tokio-tungstenite: throughput, latency, memory, recovery.
    Bench(wsr::bench::BenchArgs),
}

fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    let default_level = match cli.command {
        Command::Chaos(_) | Command::Bench(_) => "warn",
        _ => "info",
    };
    init_tracing(default_level);
    let runtime = tokio::runtime::Runtime::new().context("starting the tokio runtime")?;
    runtime.block_on(dispatch(cli.command))
}

async fn dispatch(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve(config) => wsr::serve::run(config).await.context("serve")?,
        Command::Client(args) => wsr::client::run(args).await.context("client")?,
        Command::Chaos(config) => return chaos(config).await,
        Command::Bench(args) => wsr::bench::run(args).await.context("bench")?,
    }
    Ok(ExitCode::SUCCESS)
}

async fn chaos(config: ChaosConfig) -> anyhow::Result<ExitCode> {
    let json = config.json;
    let report = wsr::chaos::run(config).await.context("chaos")?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.human());
    }
    Ok(if report.passed { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Logs to stderr, filtered by `RUST_LOG` (default: `default_level`).
fn init_tracing(default_level: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}
