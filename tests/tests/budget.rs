//! The server-wide memory budget (issue 14): many connections sending near-limit messages at
//! once stay within the budget plus a fixed overhead, every message is delivered (or its
//! session ended explicitly), and while the budget is reached new sessions are refused with
//! close 1013 and health answers 503.
//!
//! The 1,000-connection figures come from `cargo build --release -p ws-reliable-tests --bin
//! memory-server` then `target/release/memory-server load 1000 [BUDGET_BYTES] [--stalled]`
//! (`docs/performance.md`; mind `ulimit -n`).

#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
#[path = "support/memory.rs"]
mod memory;
#[allow(dead_code, unreachable_pub)]
#[path = "../src/bin/memory-server/stalled.rs"]
mod stalled;
#[allow(dead_code)]
mod support;

use std::sync::Arc;
use std::time::Duration;

use memory::{NEAR_LIMIT, Outcome, ServerChild, burst, close_all};
use tokio::sync::watch;
use ws_proto::{Frame, Hello};
use ws_reliable::{Server, ServerConfig, Session};

/// Connections of the CI-sized run, one near-limit message each (200 MiB in all).
const CLIENTS: usize = 200;
/// The budget of that run: 16 MiB, a twelfth of what the messages add up to.
const BUDGET: usize = 16 << 20;
/// Fixed overhead allowed on top of the baseline and the budget, per connection: an idle
/// connection and session (~80 KiB), its read buffers (4 KiB read buffer, 4 KiB staging,
/// up to 16 KiB of an unreserved small message) and the decoding copy of the messages being
/// handed over at that instant. 160 KiB per connection, 32 MiB for 200.
const OVERHEAD_PER_CONNECTION_KIB: u64 = 160;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn near_limit_messages_from_many_connections_stay_within_the_budget() {
    let server = ServerChild::start(Some(BUDGET));
    let _ = server.health().await;
    let baseline = server.rss_kib();
    let (clients, outcomes) = burst(server.addr, CLIENTS, NEAR_LIMIT).await;
    let peak = server.status_kib("VmHWM");
    let (_, health) = server.health().await;
    let budget = &health["server"]["memory_budget"];
    assert!(outcomes.iter().all(|o| *o == Outcome::Delivered(NEAR_LIMIT)), "{outcomes:?}");
    let bound = baseline + (BUDGET as u64 >> 10) + OVERHEAD_PER_CONNECTION_KIB * CLIENTS as u64;
    eprintln!(
        "memory-server with a {BUDGET}-byte budget: baseline {baseline} KiB, peak {peak} KiB, bound {bound} KiB; {budget}"
    );
    assert!(peak <= bound, "peak RSS {peak} KiB over the bound {bound} KiB");
    // Whether reads paused (`paused_reads`) depends on how fast the clients send; the pause
    // itself is checked deterministically in `server/budget/tests.rs`.
    assert_eq!(budget["limit"].as_u64(), Some(BUDGET as u64));
    close_all(clients).await;
    server.sessions_ended(Duration::from_secs(30)).await;
    let (_, health) = server.health().await;
    assert_eq!(health["server"]["memory_budget"]["used"].as_u64(), Some(0), "all released");
}

/// The attack itself: every connection holds a partial near-limit message at the same time
/// (all but its last KiB sent as a first fragment; the rest only once every connection sent
/// that). Without a budget the child holds them all (~330 MB for 200); with one, the
/// connections that do not fit are not read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_messages_held_by_every_connection_at_once_stay_within_the_budget() {
    let server = ServerChild::start(Some(BUDGET));
    let _ = server.health().await;
    let baseline = server.rss_kib();
    let all = stalled::connect(server.addr, CLIENTS).await.expect("connect");
    let mut at_stall = 0;
    let answered = stalled::send(all, NEAR_LIMIT, || at_stall = server.rss_kib()).await;
    let peak = server.status_kib("VmHWM");
    let (_, health) = server.health().await;
    let budget = &health["server"]["memory_budget"];
    let bound = baseline + (BUDGET as u64 >> 10) + OVERHEAD_PER_CONNECTION_KIB * CLIENTS as u64;
    eprintln!(
        "stalled: baseline {baseline} KiB, at the stall {at_stall} KiB, peak {peak} KiB, bound \
         {bound} KiB; {budget}"
    );
    assert_eq!(answered, CLIENTS, "every message delivered and answered");
    assert!(peak <= bound, "peak RSS {peak} KiB over the bound {bound} KiB");
    assert!(budget["paused_reads"].as_u64() > Some(0), "200 MiB cannot fit 16: {budget}");
}

/// A server whose handlers take nothing until `go` turns true, then answer each message with
/// its length.
async fn held_server(
    budget: usize,
) -> (ws_reliable::ServerHandle, std::net::SocketAddr, watch::Sender<bool>) {
    let (go, gate) = watch::channel(false);
    let config = ServerConfig::default().memory_budget(budget);
    let server = Server::builder().config(config).bind("127.0.0.1:0").await.expect("bind");
    let addr = server.local_addr().expect("addr");
    let gate = Arc::new(gate);
    let handle = server.start(move |session: Session| {
        let mut gate = (*gate).clone();
        async move {
            let _ = gate.wait_for(|go| *go).await;
            while let Some(message) = session.recv().await? {
                session.send(message.payload.len().to_string()).await?;
            }
            Ok(())
        }
    });
    (handle, addr, go)
}

async fn budget_figures(addr: std::net::SocketAddr) -> (u16, serde_json::Value) {
    let (status, body) = support::http_get(addr, "/health/websocket").await;
    let health: serde_json::Value = serde_json::from_str(&body).expect("health JSON");
    (status, health)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reached_budget_refuses_new_sessions_with_1013_and_delivers_everything_after() {
    // 4 MiB, the least allowed (twice the 2 MiB message limit); new sessions need 2 MiB free.
    let (handle, addr, go) = held_server(4 << 20).await;
    let clients = support::bounded(30, async {
        let mut clients = Vec::new();
        for _ in 0..3 {
            let client = support::connect(addr, ws_reliable::ClientConfig::default()).await;
            client.send(vec![7u8; NEAR_LIMIT]).await.expect("send");
            clients.push(client);
        }
        clients
    })
    .await;
    // Three unconsumed messages hold 3 MiB: less than one 2 MiB message of room is left.
    support::wait_until("the budget to fill", Duration::from_secs(20), || {
        handle.memory_budget().0 >= 3 * NEAR_LIMIT
    })
    .await;
    let (status, health) = budget_figures(addr).await;
    assert_eq!(status, 503, "{health}");
    assert!(health["refusing"].as_str().is_some_and(|r| r.contains("1013")), "{health}");
    let mut raw = support::raw_json(addr).await;
    support::send_frame(&mut raw, &Frame::Hello(Hello::default())).await;
    assert_eq!(support::next_frame(&mut raw).await.err(), Some(Some(1013)));
    go.send_replace(true);
    for client in &clients {
        let answer = support::bounded(30, client.recv()).await.expect("recv").expect("open");
        assert_eq!(answer.text(), Some(NEAR_LIMIT.to_string().as_str()), "delivered");
    }
    for client in clients {
        client.close().await.expect("close");
    }
    let (status, health) = budget_figures(addr).await;
    assert_eq!(health["server"]["memory_budget"]["refused_sessions"].as_u64(), Some(1));
    assert_ne!(status, 503, "{health}");
}
