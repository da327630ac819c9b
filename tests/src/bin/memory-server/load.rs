//! `memory-server load CLIENTS [BUDGET_BYTES]`: the many-connection memory run.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use ws_reliable::{Client, ClientConfig, Codec};

use crate::Result;

/// One message per client: 1 MiB less 1 KiB (as in `tests/tests/support/memory.rs`).
const NEAR_LIMIT: usize = (1 << 20) - 1024;

/// Runs the load and prints the figures.
pub(crate) async fn run() -> Result<()> {
    let mut args: Vec<String> = std::env::args().skip(2).collect();
    let stalled = args.iter().any(|a| a == "--stalled");
    let echo = args.iter().any(|a| a == "--echo");
    args.retain(|a| a != "--stalled" && a != "--echo");
    let mut args = args.into_iter();
    let usage = "usage: memory-server load CLIENTS [BUDGET] [--stalled] [--echo]";
    let clients: usize = args.next().ok_or(usage)?.parse()?;
    let budget = args.next();
    let mut child = Command::new(std::env::current_exe()?)
        .args(budget.clone())
        .args(echo.then_some("--echo"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().ok_or("stdout")?).read_line(&mut line)?;
    let addr: SocketAddr = line.trim().parse()?;
    let outcome = if stalled {
        measure_stalled(&child, addr, clients).await
    } else {
        measure(&child, addr, clients).await
    };
    drop(child.stdin.take());
    let _ = child.kill();
    let _ = child.wait();
    let figures = outcome?;
    let budget = budget.as_deref().unwrap_or("default");
    let mode = if stalled { "stalled fragments" } else { "whole messages" };
    writeln!(std::io::stdout(), "clients {clients} ({mode}), budget {budget}: {figures}")?;
    Ok(())
}

async fn measure(child: &Child, addr: SocketAddr, clients: usize) -> Result<String> {
    let _ = health(addr)?;
    let baseline = status_kib(child, "VmRSS")?;
    let started = Instant::now();
    let url = format!("ws://{addr}/ws");
    let config = ClientConfig::default().codec(Codec::Binary);
    let connects = (0..clients).map(|_| Client::builder().config(config.clone()).connect(&url));
    let all = futures_util::future::try_join_all(connects).await?;
    let body = Bytes::from(vec![b'x'; NEAR_LIMIT]);
    let sends = all.iter().map(|client| one(client, body.clone()));
    let delivered = futures_util::future::join_all(sends).await.into_iter().filter(|ok| *ok);
    let delivered = delivered.count();
    let elapsed = started.elapsed();
    let peak = status_kib(child, "VmHWM")?;
    let budget = health(addr)?["server"]["memory_budget"].clone();
    for client in all {
        client.close().await?;
    }
    while health(addr)?["server"]["sessions"].as_u64() != Some(0) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let ended = settle(child, addr).await?;
    let server = health(addr)?["server"].clone();
    let used = (server["memory_budget"]["used"].clone(), server["connections"].clone());
    Ok(format!(
        "delivered {delivered}/{clients} in {elapsed:.1?}; RSS baseline {baseline} KiB, peak \
         {peak} KiB, after the sessions ended {ended} KiB (budget used, connections then {used:?}); budget \
         after the burst {budget}"
    ))
}

/// Every connection holds a partial message at once (`stalled.rs`).
async fn measure_stalled(child: &Child, addr: SocketAddr, clients: usize) -> Result<String> {
    let _ = health(addr)?;
    let baseline = status_kib(child, "VmRSS")?;
    let all = crate::stalled::connect(addr, clients).await?;
    let mut held = (0, serde_json::Value::Null);
    let answered = crate::stalled::send(all, NEAR_LIMIT, || {
        let budget = health(addr).map(|h| h["server"]["memory_budget"].clone());
        held = (status_kib(child, "VmRSS").unwrap_or(0), budget.unwrap_or_default());
    })
    .await;
    let peak = status_kib(child, "VmHWM")?;
    Ok(format!(
        "answered {answered}/{clients}; RSS baseline {baseline} KiB, with every first fragment \
         sent {} KiB, peak {peak} KiB; budget then {}",
        held.0, held.1
    ))
}

/// The child's RSS once it stopped shrinking for 5 s (at most 20 s): the allocator purges
/// freed pages after a delay, on later allocator activity, so health requests keep it busy.
async fn settle(child: &Child, addr: SocketAddr) -> Result<u64> {
    let (start, mut last, mut since) = (Instant::now(), u64::MAX, Instant::now());
    while start.elapsed() < Duration::from_secs(20) && since.elapsed() < Duration::from_secs(5) {
        let _ = health(addr)?;
        let rss = status_kib(child, "VmRSS")?;
        if rss < last {
            (last, since) = (rss, Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(last)
}

/// Sends one message and waits for the server's answer.
async fn one(client: &Client, body: Bytes) -> bool {
    client.send(body).await.is_ok() && matches!(client.recv().await, Ok(Some(_)))
}

fn status_kib(child: &Child, field: &str) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id()))?;
    let value = status.lines().find_map(|l| l.strip_prefix(field)?.strip_prefix(':'));
    Ok(value.ok_or("no such field")?.trim().trim_end_matches("kB").trim().parse()?)
}

fn health(addr: SocketAddr) -> Result<serde_json::Value> {
    let mut tcp = TcpStream::connect(addr)?;
    tcp.write_all(b"GET /health/websocket HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
    let mut raw = String::new();
    tcp.read_to_string(&mut raw)?;
    let body = raw.split("\r\n\r\n").nth(1).unwrap_or_default();
    Ok(serde_json::from_str(body)?)
}
