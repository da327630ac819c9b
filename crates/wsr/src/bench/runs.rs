//! One run of one case and variant: a fresh server child, the clients in this process, and
//! the measurements (CPU of both processes, server RSS, clocks).

use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::task::{JoinHandle, JoinSet};

use super::cases::{Sample, Tput, Variant, Workload};
use super::child::ServerChild;
use super::procfs::{self, Usage};
use super::stats::percentile;
use super::{raw, recovery, reliable};
use crate::error::{Error, Result};

/// The longest any single run may take.
const RUN_LIMIT: Duration = Duration::from_secs(240);

/// Most handshakes in flight while connecting many clients.
const CONNECT_WAVE: usize = 100;

/// Starts the server child, runs `workload` against it as `variant`, stops the child.
pub async fn run_one(workload: &Workload, variant: Variant) -> Result<Sample> {
    let mut child = ServerChild::spawn(variant.server()).await?;
    let outcome = tokio::time::timeout(RUN_LIMIT, dispatch(*workload, variant, &mut child)).await;
    child.stop().await;
    outcome.map_err(|_| Error::Invalid("the run timed out".to_owned()))?
}

async fn dispatch(workload: Workload, variant: Variant, child: &mut ServerChild) -> Result<Sample> {
    match workload {
        Workload::Throughput(tput) => throughput(child, variant, tput).await,
        Workload::Echo { conns, rate, secs } => echo(child.addr, variant, conns, rate, secs).await,
        Workload::Idle { conns, settle, cpu_window } => {
            idle(child, variant, conns, settle, cpu_window).await
        }
        Workload::Recovery { drops, per_session } => {
            recovery::run(child.addr, drops, per_session).await
        }
    }
}

async fn throughput(child: &mut ServerChild, variant: Variant, tput: Tput) -> Result<Sample> {
    let addr = child.addr;
    if variant == Variant::Reliable {
        let clients = connect_all(tput.conns, move || reliable::connect(addr)).await?;
        let work = async move {
            let tasks = clients.into_iter().map(|c| tokio::spawn(reliable::transfer(c, tput)));
            sum(tasks.collect()).await
        };
        return measure(child, tput, work).await;
    }
    let feed = variant == Variant::RawFeed;
    let conns = connect_all(tput.conns, move || raw::connect(addr, None)).await?;
    let work = async move {
        let tasks = conns.into_iter().map(|ws| tokio::spawn(raw::transfer(ws, tput, feed)));
        sum(tasks.collect()).await
    };
    measure(child, tput, work).await
}

/// Clocks `work` and reads both processes' CPU around it.
async fn measure(
    child: &mut ServerChild,
    tput: Tput,
    work: impl Future<Output = Result<u64>>,
) -> Result<Sample> {
    let (server0, client0) = (child.usage().await?, procfs::read_self()?);
    let start = Instant::now();
    let confirmed = work.await?;
    let secs = start.elapsed().as_secs_f64();
    let (server1, client1) = (child.usage().await?, procfs::read_self()?);
    let total = tput.msgs * tput.conns as u64;
    if confirmed != total {
        return Err(Error::Invalid(format!("{confirmed} of {total} messages confirmed")));
    }
    let (server_cpu, client_cpu) =
        (server1.cpu_secs_since(&server0), client1.cpu_secs_since(&client0));
    let total = total as f64;
    Ok(Sample::from([
        ("msgs_per_s", total / secs),
        ("mb_per_s", total * tput.size as f64 / secs / 1e6),
        ("cpu_us_per_msg", (server_cpu + client_cpu) / total * 1e6),
        ("client_cpu_s", client_cpu),
        ("server_cpu_s", server_cpu),
    ]))
}

async fn echo(
    addr: SocketAddr,
    variant: Variant,
    conns: usize,
    rate: u64,
    secs: u64,
) -> Result<Sample> {
    let per_conn = (rate * secs / conns as u64).max(1);
    let period = Duration::from_secs_f64(conns as f64 / rate as f64);
    let tasks = spawn_echoes(addr, variant, conns, per_conn, period).await?;
    let mut rtts = Vec::new();
    for task in tasks {
        rtts.extend(task.await??);
    }
    let missing = (per_conn * conns as u64).saturating_sub(rtts.len() as u64);
    let p = |q| percentile(&rtts, q).unwrap_or(f64::NAN);
    Ok(Sample::from([
        ("p50_us", p(50.0)),
        ("p99_us", p(99.0)),
        ("p999_us", p(99.9)),
        ("missing", missing as f64),
    ]))
}

/// Connects `conns` clients and starts their echo loops, staggered over one period.
async fn spawn_echoes(
    addr: SocketAddr,
    variant: Variant,
    conns: usize,
    per_conn: u64,
    period: Duration,
) -> Result<Vec<JoinHandle<Result<Vec<f64>>>>> {
    let stagger = move |i: usize| period.mul_f64(i as f64 / conns as f64);
    let base = Instant::now();
    if variant == Variant::Reliable {
        let clients = connect_all(conns, move || reliable::connect(addr)).await?;
        let each = clients.into_iter().enumerate();
        let spawn = |(i, c)| tokio::spawn(reliable::echo(c, per_conn, period, stagger(i), base));
        return Ok(each.map(spawn).collect());
    }
    let sockets = connect_all(conns, move || raw::connect(addr, None)).await?;
    let each = sockets.into_iter().enumerate();
    Ok(each
        .map(|(i, ws)| tokio::spawn(raw::echo(ws, per_conn, period, stagger(i), base)))
        .collect())
}

/// What keeps idle connections open.
enum Holders {
    Raw(Vec<JoinHandle<()>>),
    Reliable(Vec<ws_reliable::Client>),
}

async fn idle(
    child: &mut ServerChild,
    variant: Variant,
    conns: usize,
    settle: Duration,
    cpu_window: Duration,
) -> Result<Sample> {
    let (server0, client0) = (child.usage().await?, procfs::read_self()?);
    let start = Instant::now();
    let holders = open_idle(child.addr, variant, conns).await?;
    let connect_s = start.elapsed().as_secs_f64();
    tokio::time::sleep(settle).await;
    let (server1, client1) = (child.usage().await?, procfs::read_self()?);
    tokio::time::sleep(cpu_window).await;
    let server2: Usage = child.usage().await?;
    drop(holders);
    let n = conns as f64;
    Ok(Sample::from([
        ("server_bytes_per_conn", server1.rss_bytes_since(&server0) / n),
        ("client_bytes_per_conn", client1.rss_bytes_since(&client0) / n),
        (
            "server_cpu_pct_idle",
            server2.cpu_secs_since(&server1) / cpu_window.as_secs_f64() * 100.0,
        ),
        ("connect_s", connect_s),
    ]))
}

async fn open_idle(addr: SocketAddr, variant: Variant, conns: usize) -> Result<Holders> {
    if variant == Variant::Reliable {
        return Ok(Holders::Reliable(connect_all(conns, move || reliable::connect(addr)).await?));
    }
    let read_buf = (variant == Variant::Raw4k).then_some(4 << 10);
    let sockets = connect_all(conns, move || raw::connect(addr, read_buf)).await?;
    Ok(Holders::Raw(sockets.into_iter().map(raw::hold).collect()))
}

impl Drop for Holders {
    fn drop(&mut self) {
        match self {
            Holders::Raw(tasks) => tasks.iter().for_each(JoinHandle::abort),
            Holders::Reliable(clients) => clients.clear(),
        }
    }
}

/// Opens `n` connections with `connect`, at most [`CONNECT_WAVE`] handshakes at a time.
async fn connect_all<T, F, Fut>(n: usize, connect: F) -> Result<Vec<T>>
where
    T: Send + 'static,
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T>> + Send + 'static,
{
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let mut wave = JoinSet::new();
        for _ in 0..(n - out.len()).min(CONNECT_WAVE) {
            wave.spawn(connect());
        }
        while let Some(joined) = wave.join_next().await {
            out.push(joined??);
        }
    }
    Ok(out)
}

async fn sum(tasks: Vec<JoinHandle<Result<u64>>>) -> Result<u64> {
    let mut total = 0;
    for task in tasks {
        total += task.await??;
    }
    Ok(total)
}
