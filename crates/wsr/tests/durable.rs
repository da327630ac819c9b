//! A session outlives its server process: `wsr serve --store …` runs as a child process, is
//! killed (SIGKILL) mid-traffic and started again (on the same directory, or as a fresh node
//! on the same Redis) on the same port; the client resumes its session there. Nothing the
//! client sent is lost and every echo arrives in order; the only repeats are echoes of the
//! messages whose delivery cursor was not yet durable at the kill (the documented window,
//! one contiguous run per kill).
#![allow(clippy::unwrap_used)]

// The same harness as the session store's own tests; this test uses a part of it.
#[allow(dead_code)]
#[path = "../../session-store/tests/support/redis.rs"]
mod redis_server;

use std::collections::HashMap;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reconnect::{Backoff, Policy};
use ws_reliable::{Client, ClientConfig};

/// Messages the client sends; the node is killed once this many echoes came back.
const MESSAGES: usize = 400;
const KILL_AFTER: usize = 150;
/// Messages in flight at once (sent, echo not yet received): the kill lands mid-traffic.
const WINDOW: usize = 20;
/// Bound on the whole exchange (a hang fails instead of blocking CI).
const LIMIT: Duration = Duration::from_secs(60);

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A `wsr serve` child process, killed (SIGKILL) and reaped on drop, so that a failing test
/// leaves no node behind.
struct Node(Child);

impl Node {
    fn start(port: u16, store: &str) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_wsr"))
            .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--store", store])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Self(child)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Polls until the node accepts TCP connections: a child process has no readiness signal
/// to await but its socket.
async fn listening(port: u16) {
    let start = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(start.elapsed() < Duration::from_secs(20), "wsr serve did not listen");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn client_config() -> ClientConfig {
    let backoff = Backoff::new(Duration::from_millis(10), Duration::from_millis(100));
    let policy = Policy::default().backoff(backoff);
    ClientConfig::default()
        .reconnect(reconnect::Config::default().policy(policy))
        .without_circuit_breaker()
}

/// Runs the exchange against a node on `store`, killing and restarting it once; returns the
/// echoes in arrival order.
async fn exchange_across_a_kill(store: &str) -> Vec<usize> {
    let port = free_port();
    let mut node = Node::start(port, store);
    listening(port).await;
    let url = format!("ws://127.0.0.1:{port}/ws");
    let client = Arc::new(Client::builder().config(client_config()).connect(url).await.unwrap());
    let (sender, window) = (Arc::clone(&client), Arc::new(tokio::sync::Semaphore::new(WINDOW)));
    let permits = Arc::clone(&window);
    let sending = tokio::spawn(async move {
        for i in 0..MESSAGES {
            permits.acquire().await.unwrap().forget();
            sender.send(format!("m{i}")).await.unwrap();
        }
    });
    let (mut echoes, mut distinct, mut killed) = (Vec::new(), HashMap::new(), false);
    while distinct.len() < MESSAGES {
        let message = client.recv().await.unwrap().expect("the session stays open");
        let index: usize = message.text().unwrap()[1..].parse().unwrap();
        if distinct.insert(index, ()).is_none() {
            window.add_permits(1);
        }
        echoes.push(index);
        if !killed && distinct.len() == KILL_AFTER {
            killed = true;
            // SIGKILL mid-traffic, then a new process on the same port and store.
            drop(node);
            node = Node::start(port, store);
        }
    }
    sending.await.unwrap();
    drop(node);
    echoes
}

#[track_caller]
fn check_echoes(echoes: &[usize]) {
    let mut seen = vec![0usize; MESSAGES];
    let mut first = Vec::new();
    for &i in echoes {
        if seen[i] == 0 {
            first.push(i);
        }
        seen[i] += 1;
    }
    assert_eq!(first, (0..MESSAGES).collect::<Vec<_>>(), "every message, in order, none lost");
    let repeated: Vec<usize> = (0..MESSAGES).filter(|&i| seen[i] > 1).collect();
    assert!(repeated.iter().all(|&i| seen[i] == 2), "a repeat happens once: {repeated:?}");
    if let (Some(lo), Some(hi)) = (repeated.first(), repeated.last()) {
        assert_eq!(
            hi - lo + 1,
            repeated.len(),
            "the repeats are one contiguous window: {repeated:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_and_restarted_on_its_directory_resumes_the_session() {
    let dir = std::env::temp_dir().join(format!("wsr-durable-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let echoes = tokio::time::timeout(LIMIT, exchange_across_a_kill(dir.to_str().unwrap()));
    let echoes = echoes.await.expect("the exchange completes");
    let _ = std::fs::remove_dir_all(&dir);
    check_echoes(&echoes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_node_is_replaced_by_a_fresh_one_on_the_same_redis() {
    let redis = redis_server::RedisServer::start();
    let url = redis.url();
    let echoes = tokio::time::timeout(LIMIT, exchange_across_a_kill(&url));
    check_echoes(&echoes.await.expect("the exchange completes"));
}
