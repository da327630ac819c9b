//! Helpers of the memory tests (`rss.rs`, `budget.rs`): the server child process
//! (`src/bin/memory-server.rs`) and its resident memory, a burst of near-limit messages from
//! many clients at once, and the health figures.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use ws_reliable::{Client, ClientConfig, Codec};

/// The payload of a near-limit message: 1 MiB less 1 KiB, near the largest payload the
/// replay buffer takes (1 MiB). The binary codec carries it as one WebSocket message of the
/// same size (the JSON codec's base64 would make it 1.37 MiB, and the test slow in debug).
pub(crate) const NEAR_LIMIT: usize = (1 << 20) - 1024;

/// A running server child; killed (by its own pid) when dropped.
pub(crate) struct ServerChild {
    child: Child,
    stdin: Option<ChildStdin>,
    /// Where it listens.
    pub(crate) addr: SocketAddr,
}

impl ServerChild {
    /// Starts the child with `budget` bytes of memory budget (the machine's default if `None`).
    pub(crate) fn start(budget: Option<usize>) -> ServerChild {
        Self::start_with(budget.map(|b| b.to_string()))
    }

    /// Starts the child with these arguments (`[BUDGET] [--echo]`).
    pub(crate) fn start_with(args: impl IntoIterator<Item = String>) -> ServerChild {
        let mut command = Command::new(env!("CARGO_BIN_EXE_memory-server"));
        command.args(args).stdin(Stdio::piped()).stdout(Stdio::piped());
        // mimalloc returns freed pages after a delay (1 s) and only on later allocator
        // activity; purging at once makes the figures independent of the test's timing.
        command.env("MIMALLOC_PURGE_DELAY", "0");
        let mut child = command.spawn().expect("spawn memory-server");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("child stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("child prints its address");
        let addr = line.trim().parse().expect("an address");
        ServerChild { child, stdin, addr }
    }

    /// A field of `/proc/PID/status`, KiB (`VmRSS`, `VmHWM`).
    pub(crate) fn status_kib(&self, field: &str) -> u64 {
        let path = format!("/proc/{}/status", self.child.id());
        let status = std::fs::read_to_string(path).expect("read the child's status");
        status
            .lines()
            .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("status field")
    }

    /// Resident memory now, KiB.
    pub(crate) fn rss_kib(&self) -> u64 {
        self.status_kib("VmRSS")
    }

    /// The health route's JSON.
    pub(crate) async fn health(&self) -> (u16, serde_json::Value) {
        let (status, body) = crate::support::http_get(self.addr, "/health/websocket").await;
        (status, serde_json::from_str(&body).expect("health JSON"))
    }

    /// The server's live session count, from the health route.
    pub(crate) async fn sessions(&self) -> u64 {
        let (_, health) = self.health().await;
        health["server"]["sessions"].as_u64().expect("sessions figure")
    }

    /// Waits (polling the health route, there is no event to await across processes) until
    /// the child runs no session, up to `limit`.
    pub(crate) async fn sessions_ended(&self, limit: Duration) {
        let start = Instant::now();
        while self.sessions().await > 0 {
            assert!(start.elapsed() < limit, "sessions still open after {limit:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Polls the child's RSS until it is at most `target` KiB or `limit` passed; the last
    /// reading. The allocator returns freed pages on its own schedule, which no API exposes
    /// to await.
    pub(crate) async fn rss_settles(&self, target: u64, limit: Duration) -> u64 {
        let start = Instant::now();
        loop {
            let rss = self.rss_kib();
            if rss <= target || start.elapsed() >= limit {
                return rss;
            }
            // Some activity lets the allocator run its delayed purge.
            let _ = self.health().await;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for ServerChild {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How one client's message fared.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The server's handler took it (it answered with the payload length).
    Delivered(usize),
    /// The session ended first, with this reason.
    Ended(String),
}

/// `clients` reliable clients (binary codec) connect to `addr`, then all send one message of
/// `payload` bytes at once and wait for the answer; the clients are returned open.
pub(crate) async fn burst(
    addr: SocketAddr,
    clients: usize,
    payload: usize,
) -> (Vec<Client>, Vec<Outcome>) {
    let config = ClientConfig::default().codec(Codec::Binary);
    let url = crate::support::url(addr);
    let connects = (0..clients).map(|_| Client::builder().config(config.clone()).connect(&url));
    let clients: Vec<Client> = futures_util::future::try_join_all(connects).await.expect("connect");
    let body = Bytes::from(vec![b'x'; payload]);
    let sends = clients.iter().map(|client| one_message(client, body.clone()));
    let outcomes = futures_util::future::join_all(sends).await;
    (clients, outcomes)
}

async fn one_message(client: &Client, body: Bytes) -> Outcome {
    if let Err(e) = client.send(body).await {
        return Outcome::Ended(e.to_string());
    }
    match client.recv().await {
        Ok(Some(answer)) => Outcome::Delivered(match answer.text() {
            Some(len) => len.parse().unwrap_or(0),
            None => answer.payload.len(),
        }),
        Ok(None) => Outcome::Ended("session ended".to_owned()),
        Err(e) => Outcome::Ended(e.to_string()),
    }
}

/// Closes every client (each ends its session with the close handshake).
pub(crate) async fn close_all(clients: Vec<Client>) {
    let closes = clients.into_iter().map(Client::close);
    for outcome in futures_util::future::join_all(closes).await {
        outcome.expect("close");
    }
}
