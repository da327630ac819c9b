//! RFC 6455 conformance over loopback: a port of the Autobahn|Testsuite fuzzing-client cases
//! (framing, pings, reserved bits and opcodes, fragmentation, UTF-8, the closing handshake,
//! size limits), run against ws-reliable's endpoint and, as the baseline, a plain
//! tokio-tungstenite echo server, each judged pass / non-strict / fail as Autobahn does.
//!
//! `cargo test -p ws-reliable-tests --test conformance -- --nocapture` prints the table of both.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::net::SocketAddr;

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use ws_reliable::{Server, ServerConfig};

#[allow(dead_code)]
mod support;

mod conformance {
    pub(crate) mod cases;
    pub(crate) mod run;
    pub(crate) mod target;
    pub(crate) mod wire;
}

use conformance::cases::{self, Expect};
use conformance::run::{Verdict, run};
use conformance::target::Target;

/// A plain tokio-tungstenite echo server, with the same message size limit as ws-reliable's.
async fn raw_echo() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(raw_session(tcp));
        }
    });
    addr
}

async fn raw_session(tcp: TcpStream) {
    let config = WebSocketConfig::default().max_message_size(Some(cases::MAX_MESSAGE));
    let Ok(mut ws) = tokio_tungstenite::accept_async_with_config(tcp, Some(config)).await else {
        return;
    };
    while let Some(Ok(message)) = ws.next().await {
        if (message.is_text() || message.is_binary()) && ws.send(message).await.is_err() {
            return;
        }
    }
}

/// Every case against `target`, in order, with its verdict.
fn suite(target: Target) -> Vec<(String, Expect, Verdict)> {
    cases::all()
        .into_iter()
        .map(|case| (case.id.clone(), case.expect, run(target, &case)))
        .collect()
}

fn count(results: &[(String, Expect, Verdict)], f: impl Fn(&Verdict) -> bool) -> usize {
    results.iter().filter(|(_, _, v)| f(v)).count()
}

fn print_report(name: &str, results: &[(String, Expect, Verdict)]) {
    let pass = count(results, |v| *v == Verdict::Pass);
    let lax = count(results, |v| matches!(v, Verdict::NonStrict(_)));
    let fail = count(results, |v| matches!(v, Verdict::Fail(_)));
    println!("{name}: {} cases: {pass} pass, {lax} non-strict, {fail} fail", results.len());
    for (id, _, verdict) in results.iter().filter(|(_, _, v)| *v != Verdict::Pass) {
        println!("  {id:8} {verdict}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc6455_conformance_of_ws_reliable_beside_raw_tungstenite() {
    let raw = Target::Raw(raw_echo().await);
    let server =
        Server::builder().config(ServerConfig::default()).bind("127.0.0.1:0").await.unwrap();
    let reliable = Target::Reliable(server.local_addr().unwrap());
    let _handle = server.start(support::echo);
    let (raw_results, reliable_results) = support::bounded(300, async {
        tokio::task::spawn_blocking(move || (suite(raw), suite(reliable))).await.unwrap()
    })
    .await;
    print_report(raw.name(), &raw_results);
    print_report(reliable.name(), &reliable_results);

    // The harness itself: the baseline echoes, pongs and answers closes as RFC 6455 says, so a
    // case that fails on ws-reliable fails because of ws-reliable.
    for (id, expect, verdict) in &raw_results {
        if !matches!(expect, Expect::Fail(_)) && matches!(verdict, Verdict::Fail(_)) {
            panic!("harness check: raw tokio-tungstenite fails {id}: {verdict}");
        }
    }
    let not_strict: Vec<&str> = reliable_results
        .iter()
        .filter(|(_, _, v)| *v != Verdict::Pass)
        .map(|(id, _, _)| id.as_str())
        .collect();
    assert!(not_strict.is_empty(), "ws-reliable is not strictly conformant in {not_strict:?}");
}
