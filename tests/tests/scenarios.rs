//! Fault-injection scenarios over real sockets on loopback, through the fault proxy: each
//! fault kind alone during two-way traffic and during streams, many sessions under random
//! faults, a peer gone past the resume window, a flapping link, a server stopped or
//! restarted, and random fault schedules (proptest). Every scenario checks delivery from the
//! applications' side: each message carries its own counter, and what arrived must be exactly
//! what was sent, once, in order, or the application must have been told the session was lost.
//!
//! The proxy has no "slice writes" fault (delivering a write in small pieces with latency), so
//! no scenario covers it. A server restart that keeps its sessions cannot be staged either:
//! sessions live in the server process's memory; the restart scenario checks the documented
//! outcome instead (an explicit `Expired`).
#![allow(clippy::unwrap_used)]

#[path = "support/scenario.rs"]
mod scenario;
#[allow(dead_code)]
mod support;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::mpsc;
use ws_proto::Frame;
use ws_reliable::{
    ClientConfig, ConnState, Error, LostReason, Server, ServerConfig, ServerHandle, Session,
};
use ws_reliable_tests::{Direction, Fault, Proxy};

use scenario::{
    ClientReport, Delivery, ServerReport, States, TwoWay, bounded, connect, fast_client, inject_at,
    pace, parse, run_client, run_client_every, text,
};
use support::http_get;

/// Messages each way in the single-fault scenarios.
const N: u64 = 600;

/// Heartbeat interval and timeout where a stall must be noticed.
const BEAT: Duration = Duration::from_millis(200);

/// How long a server may take to drop closed sessions and connections.
const IDLE: Duration = Duration::from_secs(5);

/// Session settings with a short heartbeat on both sides, so that a stalled link is noticed
/// within 400 ms.
fn beating() -> ws_proto::Config {
    ws_proto::Config::default().heartbeat(BEAT, BEAT)
}

/// A cut after this many bytes (either direction) of ~250-byte frames lands inside a frame
/// except when it falls on one of the few header bytes.
const CUT: u64 = 40_000 + 123;

/// Checks both directions of one session, complete and clean.
#[track_caller]
fn check_complete(what: &str, client: &ClientReport, server: &ServerReport, n: u64) {
    let up = Delivery::check(client.sent, &server.received, server.told_lost());
    let down = Delivery::check(server.sent, &client.received, client.told_lost());
    assert!(client.error.is_none(), "{what}: client ended with {:?}", client.error);
    assert!(server.error.is_none(), "{what}: server ended with {:?}", server.error);
    assert!(up.complete() && up.sent == n, "{what}: client to server {up:?}");
    assert!(down.complete() && down.sent == n, "{what}: server to client {down:?}");
}

/// One fault, injected a third of the way through `N` messages each way.
async fn single_fault(fault: Fault) {
    let mut server = TwoWay::start(ServerConfig::default().session(beating()), N).await;
    let proxy = Proxy::start(server.addr).await.unwrap();
    let client = connect(proxy.addr(), fast_client(beating())).await;
    let progress = Arc::new(AtomicUsize::new(0));
    let chaos = {
        let (proxy, progress) = (proxy.clone(), Arc::clone(&progress));
        tokio::spawn(async move { inject_at(&proxy, fault, &progress, N as usize / 3).await })
    };
    let report = run_client(&client, N, &progress).await;
    chaos.await.unwrap();
    let seen = server.reports.recv().await.unwrap();
    check_complete(&format!("{fault:?}"), &report, &seen, N);
    assert!(proxy.accepted() >= 2, "{fault:?} forced a reconnect: {}", proxy.accepted());
    assert_eq!(server.handle.sessions(), 1, "one session across the reconnect");
    client.close().await.unwrap();
    let (_, end) = server.ends.recv().await.unwrap();
    assert!(end.is_ok(), "{fault:?}: the close reached the server: {end:?}");
    server.wait_idle(IDLE).await;
}

#[tokio::test]
async fn reset_during_two_way_traffic() {
    bounded(15, single_fault(Fault::Reset)).await;
}

#[tokio::test]
async fn close_during_two_way_traffic() {
    bounded(15, single_fault(Fault::Close)).await;
}

#[tokio::test]
async fn stall_up_during_two_way_traffic() {
    bounded(15, single_fault(Fault::Stall(Direction::Up))).await;
}

#[tokio::test]
async fn stall_down_during_two_way_traffic() {
    bounded(15, single_fault(Fault::Stall(Direction::Down))).await;
}

#[tokio::test]
async fn stall_both_during_two_way_traffic() {
    bounded(15, single_fault(Fault::Stall(Direction::Both))).await;
}

#[tokio::test]
async fn cut_mid_frame_during_two_way_traffic() {
    bounded(15, single_fault(Fault::CutAfter(CUT))).await;
}

/// A raw JSON WebSocket that said hello and got its welcome.
async fn raw_session(addr: SocketAddr) -> support::Raw {
    let mut raw = support::raw_json(addr).await;
    support::send_frame(&mut raw, &Frame::Hello(ws_proto::Hello::default())).await;
    assert!(matches!(support::next_frame(&mut raw).await, Ok(Frame::Welcome(_))));
    raw
}

/// A client whose own resume window is `window` (its retry budget's window must be under
/// half of it, so it is shortened too).
fn client_with_window(window: Duration) -> ClientConfig {
    let budget = reconnect::BudgetConfig::default().ttl(window / 3).min_retries_per_sec(10.0);
    let session = ws_proto::Config::default().resume_window(window);
    let reconnect = fast_client(session.clone()).reconnect.budget(budget);
    ClientConfig::default().session(session).reconnect(reconnect)
}

/// Shutdown: every connection is closed with 1001 (going away) and the listener stops. The
/// client keeps retrying (Reconnecting/Suspended) until its own resume window ends, then is
/// told `SessionLost(Expired)`; the server's handler is told `Expired` when the server's
/// window ends, and the session is freed (docs/guarantees.md, "Graceful shutdown does not
/// flush").
#[tokio::test]
async fn server_shutdown_closes_with_1001_and_both_sides_are_told_expired() {
    bounded(15, async {
        let server_window = Duration::from_millis(300);
        let config = ServerConfig::default().resume_window(server_window);
        let mut server = TwoWay::start(config, 5).await;
        let mut raw = raw_session(server.addr).await;
        let client_window = Duration::from_secs(1);
        let client = connect(server.addr, client_with_window(client_window)).await;
        let states = States::record(&client);
        let report = run_client(&client, 5, &AtomicUsize::new(0)).await;
        client.session().flush().await.unwrap();
        let mut seen = server.reports.recv().await.unwrap();
        if seen.id == client.session().id() {
            check_complete("before shutdown", &report, &seen, 5);
        } else {
            seen = server.reports.recv().await.unwrap();
            check_complete("before shutdown", &report, &seen, 5);
        }

        let stopped = Instant::now();
        server.handle.shutdown();
        let close = loop {
            match support::next_frame(&mut raw).await {
                Ok(_) => continue,
                Err(close) => break close,
            }
        };
        assert_eq!(close, Some(1001), "shutdown closes connections as going away");
        let outcome = client.recv().await;
        let lost_after = stopped.elapsed();
        assert!(
            matches!(outcome, Err(Error::SessionLost(LostReason::Expired))),
            "client told {outcome:?}"
        );
        assert!(lost_after >= client_window, "client gave up after only {lost_after:?}");
        assert!(lost_after < client_window + Duration::from_secs(2), "late: {lost_after:?}");
        assert!(
            states
                .any(|s| matches!(s, ConnState::Reconnecting { .. } | ConnState::Suspended { .. })),
            "the client kept retrying: {:?}",
            states.all()
        );
        assert!(matches!(*client.state().borrow(), ConnState::Failed { .. }));
        for _ in 0..2 {
            let (_, end) = server.ends.recv().await.unwrap();
            assert!(matches!(end, Err(Error::SessionLost(LostReason::Expired))), "{end:?}");
        }
        server.wait_idle(IDLE).await;
    })
    .await;
}

/// A restart (a new server process behind the same address) knows none of the old sessions:
/// the client's resume is refused and its application is told `SessionLost(Expired)`, as
/// docs/guarantees.md promises under "No persistence across a server process restart".
#[tokio::test]
async fn server_restart_is_an_explicit_loss_for_the_client() {
    bounded(15, async {
        let config = ServerConfig::default().resume_window(Duration::from_millis(300));
        let mut first = TwoWay::start(config, 5).await;
        let proxy = Proxy::start(first.addr).await.unwrap();
        let client = connect(proxy.addr(), fast_client(ws_proto::Config::default())).await;
        let report = run_client(&client, 5, &AtomicUsize::new(0)).await;
        check_complete("before restart", &report, &first.reports.recv().await.unwrap(), 5);

        let second = TwoWay::start(ServerConfig::default(), 5).await;
        first.handle.shutdown();
        proxy.set_upstream(second.addr);
        let outcome = client.recv().await;
        assert!(
            matches!(outcome, Err(Error::SessionLost(LostReason::Expired))),
            "client told {outcome:?}"
        );
        let (_, end) = first.ends.recv().await.unwrap();
        assert!(matches!(end, Err(Error::SessionLost(LostReason::Expired))), "{end:?}");
        first.wait_idle(IDLE).await;
        assert_eq!(second.handle.sessions(), 0, "the refused resume created no session");
        assert!(proxy.accepted() >= 2, "the client came back");
    })
    .await;
}

/// Chunks of each stream in the stream scenarios.
const CHUNKS: u64 = 400;

/// What one side read of its peer's stream, in arrival order: `(stream id, index, last,
/// counter)`, and the error that ended reading, if any.
type StreamRead = (Vec<(String, u64, bool, u64)>, Option<Error>);

/// Writes stream `id` of `CHUNKS` chunks (`d`/`u` texts), paced.
async fn write_stream(session: &Session, id: &str, prefix: char) -> ws_reliable::Result<()> {
    let mut writer = session.open_stream(id);
    for i in 0..CHUNKS - 1 {
        writer.write(text(prefix, i)).await?;
        pace(i).await;
    }
    writer.finish(text(prefix, CHUNKS - 1)).await?;
    Ok(())
}

/// Reads `CHUNKS` chunks (or until an error) of the peer's stream.
async fn read_stream(session: &Session, prefix: char, progress: &AtomicUsize) -> StreamRead {
    let mut chunks = Vec::new();
    while (chunks.len() as u64) < CHUNKS {
        let message = match session.recv().await {
            Ok(Some(message)) => message,
            Ok(None) => return (chunks, None),
            Err(e) => return (chunks, Some(e)),
        };
        let part = message.stream.clone().unwrap();
        chunks.push((part.stream, part.index, part.last, parse(prefix, message.text())));
        progress.fetch_add(1, Ordering::SeqCst);
    }
    (chunks, None)
}

/// Asserts that a stream arrived whole: every chunk once, in order, the last one marked last
/// (the library only marks it after the digest matched; a mismatch is an error instead).
#[track_caller]
fn check_stream(what: &str, id: &str, (chunks, error): &StreamRead) {
    assert!(error.is_none(), "{what}: reading {id} ended with {error:?}");
    assert_eq!(chunks.len() as u64, CHUNKS, "{what}: {id} chunk count");
    for (k, (stream, index, last, counter)) in chunks.iter().enumerate() {
        let k = k as u64;
        let expected = (id, k, k + 1 == CHUNKS, k);
        assert_eq!((stream.as_str(), *index, *last, *counter), expected, "{what}: {id} chunk {k}");
    }
}

/// A server that writes a `down` stream to each session while reading its `up` stream, and
/// reports what it read.
async fn stream_server() -> (ServerHandle, SocketAddr, mpsc::UnboundedReceiver<StreamRead>) {
    let config = ServerConfig::default().session(beating());
    let server = Server::builder().config(config).bind("127.0.0.1:0").await.unwrap();
    let addr = server.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    let handle = server.start(move |session| {
        let tx = tx.clone();
        async move {
            let progress = AtomicUsize::new(0);
            let read = read_stream(&session, 'u', &progress);
            let (written, read) = tokio::join!(write_stream(&session, "down", 'd'), read);
            written?;
            let _ = tx.send(read);
            while session.recv().await?.is_some() {}
            Ok(())
        }
    });
    (handle, addr, rx)
}

/// One stream each way, with `fault` injected a third of the way through the down stream.
async fn stream_under(fault: Fault) {
    let (handle, addr, mut reads) = stream_server().await;
    let proxy = Proxy::start(addr).await.unwrap();
    let client = connect(proxy.addr(), fast_client(beating())).await;
    let progress = Arc::new(AtomicUsize::new(0));
    let chaos = {
        let (proxy, progress) = (proxy.clone(), Arc::clone(&progress));
        tokio::spawn(async move { inject_at(&proxy, fault, &progress, CHUNKS as usize / 3).await })
    };
    let session = client.session();
    let read = read_stream(session, 'd', &progress);
    let (written, down) = tokio::join!(write_stream(session, "up", 'u'), read);
    chaos.await.unwrap();
    let what = format!("{fault:?}");
    written.unwrap_or_else(|e| panic!("{what}: writing up failed: {e:?}"));
    check_stream(&what, "down", &down);
    check_stream(&what, "up", &reads.recv().await.unwrap());
    assert!(proxy.accepted() >= 2, "{what} forced a reconnect");
    assert_eq!(handle.sessions(), 1);
    client.close().await.unwrap();
}

/// Every fault kind during a stream each way (each kind on its own server and proxy, all at
/// once).
#[tokio::test]
async fn every_fault_kind_during_streams() {
    bounded(20, async {
        let kinds = [
            Fault::Reset,
            Fault::Close,
            Fault::Stall(Direction::Up),
            Fault::Stall(Direction::Down),
            Fault::Stall(Direction::Both),
            Fault::CutAfter(CUT),
        ];
        let runs = kinds.map(|fault| tokio::spawn(stream_under(fault)));
        for run in runs {
            run.await.unwrap();
        }
    })
    .await;
}

/// Sessions in the many-sessions scenario. CI runs 200 on 2 cores; the full-size run of the
/// issue (1,000 sessions) is `wsr chaos --clients 1000`.
const SESSIONS: usize = 200;

/// Messages each way per session in the many-sessions scenario.
const PER_SESSION: u64 = 40;

/// One session of the many: its own proxy, faults at the given progress points.
async fn faulty_session(addr: SocketAddr, faults: Vec<(usize, Fault)>) -> (String, ClientReport) {
    let proxy = Proxy::start(addr).await.unwrap();
    let client = connect(proxy.addr(), fast_client(ws_proto::Config::default())).await;
    let progress = Arc::new(AtomicUsize::new(0));
    let chaos = {
        let (proxy, progress) = (proxy.clone(), Arc::clone(&progress));
        tokio::spawn(async move {
            for (at, fault) in faults {
                inject_at(&proxy, fault, &progress, at).await;
            }
        })
    };
    let report = run_client(&client, PER_SESSION, &progress).await;
    // The faults are placed at message counts; any still pending when the traffic is done
    // would only hit the close, which `a_close_that_meets_a_reset_still_reaches_the_server`
    // covers on its own.
    chaos.abort();
    let id = client.session().id().to_owned();
    if report.error.is_none() {
        client.close().await.unwrap();
    }
    (id, report)
}

/// Many sessions at once, each through its own proxy, with 0 to 3 random resets or clean
/// closes each (seeded): nothing lost, duplicated or reordered, in either direction; every
/// session complete or told it was lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_sessions_under_random_faults() {
    bounded(30, async {
        let mut server = TwoWay::start(ServerConfig::default(), PER_SESSION).await;
        let mut rng = StdRng::seed_from_u64(0x5eed_0001);
        let mut injected = 0;
        let tasks: Vec<_> = (0..SESSIONS)
            .map(|_| {
                let count = rng.random_range(0..=3);
                let mut faults: Vec<(usize, Fault)> = (0..count)
                    .map(|_| {
                        let at = rng.random_range(1..PER_SESSION as usize);
                        (at, if rng.random_bool(0.5) { Fault::Reset } else { Fault::Close })
                    })
                    .collect();
                faults.sort_by_key(|(at, _)| *at);
                injected += faults.len();
                tokio::spawn(faulty_session(server.addr, faults))
            })
            .collect();
        let mut clients = HashMap::new();
        for task in tasks {
            let (id, report) = task.await.unwrap();
            clients.insert(id, report);
        }
        let (mut up, mut down, mut lost_sessions) = (Delivery::default(), Delivery::default(), 0);
        for _ in 0..SESSIONS {
            let seen = server.reports.recv().await.unwrap();
            let client = &clients[&seen.id];
            let u = Delivery::check(client.sent, &seen.received, seen.told_lost());
            let d = Delivery::check(seen.sent, &client.received, client.told_lost());
            assert!(u.clean() && d.clean(), "session {}: up {u:?}, down {d:?}", seen.id);
            let complete = u.complete() && d.complete() && u.sent == PER_SESSION;
            let told = client.told_lost() || seen.told_lost();
            assert!(complete || told, "session {} neither complete nor lost", seen.id);
            lost_sessions += usize::from(!complete);
            up.delivered += u.delivered;
            down.delivered += d.delivered;
        }
        assert!(injected > SESSIONS, "the schedule injected faults: {injected}");
        assert_eq!(lost_sessions, 0, "no session should be lost inside a 2 min resume window");
        assert_eq!(up.delivered, SESSIONS as u64 * PER_SESSION);
        assert_eq!(down.delivered, SESSIONS as u64 * PER_SESSION);
        // Every session was closed on purpose (through its faults): the server is idle.
        scenario::wait_until("the server to free every session", Duration::from_secs(10), || {
            server.handle.sessions() == 0
        })
        .await;
    })
    .await;
}

/// A close that meets a reset. `Client::close` returns `Ok`, so the server's handler must
/// see `Ok(None)` (docs/guarantees.md: "`close` delivers everything sent before it; the
/// peer's `recv` then returns `Ok(None)`") and the session must be freed, not left detached
/// for the whole resume window and then reported `Expired`.
#[tokio::test]
async fn a_close_that_meets_a_reset_still_reaches_the_server() {
    bounded(15, async {
        let mut server = TwoWay::start(ServerConfig::default(), 3).await;
        let proxy = Proxy::start(server.addr).await.unwrap();
        let client = connect(proxy.addr(), fast_client(ws_proto::Config::default())).await;
        let report = run_client(&client, 3, &AtomicUsize::new(0)).await;
        check_complete("before the close", &report, &server.reports.recv().await.unwrap(), 3);
        client.session().flush().await.unwrap();
        proxy.inject(Fault::Reset);
        client.close().await.unwrap();
        let end = tokio::time::timeout(Duration::from_secs(5), server.ends.recv()).await;
        assert!(
            matches!(end, Ok(Some((_, Ok(()))))),
            "the server's handler never saw the close: {end:?}; server sessions {}, proxy \
             connections {}",
            server.handle.sessions(),
            proxy.accepted()
        );
        server.wait_idle(IDLE).await;
    })
    .await;
}

/// The health route's live figures once it reports healthy.
async fn health_figures(addr: SocketAddr) -> serde_json::Value {
    loop {
        let (status, body) = http_get(addr, "/health/websocket").await;
        if status == 200 {
            let json: serde_json::Value = serde_json::from_str(&body).unwrap();
            return json["server"].clone();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A peer that vanishes past the resume window, both ways round. The server side: a client
/// that never comes back; its handler is told `Expired`, and the session, its connection
/// and the health figures go back to 0. The client side: a server that is unreachable for
/// longer than the client's window; the client is told `Expired`.
#[tokio::test]
async fn a_peer_gone_past_the_resume_window_is_an_explicit_loss_and_frees_memory() {
    bounded(15, async {
        let window = Duration::from_millis(300);
        let beat = Duration::from_millis(100);
        let session = ws_proto::Config::default().heartbeat(beat, beat);
        let mut config = ServerConfig::default().session(session.clone()).resume_window(window);
        config.health_interval = Duration::from_millis(50);
        let mut server = TwoWay::start(config, 5).await;
        let proxy = Proxy::start(server.addr).await.unwrap();

        // The client vanishes.
        let gone = connect(proxy.addr(), fast_client(session)).await;
        run_client(&gone, 5, &AtomicUsize::new(0)).await;
        gone.session().flush().await.unwrap();
        assert!(server.reports.recv().await.unwrap().error.is_none());
        let vanished = Instant::now();
        proxy.inject(Fault::Stall(Direction::Both));
        drop(gone);
        let (_, end) = server.ends.recv().await.unwrap();
        assert!(matches!(end, Err(Error::SessionLost(LostReason::Expired))), "{end:?}");
        assert!(vanished.elapsed() >= window, "expired early: {:?}", vanished.elapsed());
        server.wait_idle(IDLE).await;
        let figures = health_figures(server.addr).await;
        assert_eq!(figures["sessions"], 0, "{figures}");
        assert_eq!(figures["connections"], 1, "only the health request itself: {figures}");
        assert_eq!(figures["buffered_messages"], 0, "{figures}");

        // The server vanishes: the proxy leads nowhere and the open connection is stalled.
        let client_window = Duration::from_millis(900);
        let mut config = client_with_window(client_window);
        config.session = config.session.heartbeat(beat, beat);
        let client = connect(proxy.addr(), config).await;
        run_client(&client, 5, &AtomicUsize::new(0)).await;
        let nowhere = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        proxy.set_upstream(nowhere.local_addr().unwrap());
        drop(nowhere);
        let vanished = Instant::now();
        proxy.inject(Fault::Stall(Direction::Both));
        let outcome = client.recv().await;
        assert!(
            matches!(outcome, Err(Error::SessionLost(LostReason::Expired))),
            "client told {outcome:?}"
        );
        assert!(vanished.elapsed() >= client_window, "early: {:?}", vanished.elapsed());
        assert!(matches!(*client.state().borrow(), ConnState::Failed { .. }));
    })
    .await;
}

/// Resets the open connection and every new one through `proxy` a few milliseconds after it
/// is accepted,
/// until `stop` is set. A reset injected before the proxy's pipe has read its fault epoch
/// would miss the connection, so each new connection is hit several times.
async fn flap(proxy: Proxy, stop: Arc<std::sync::atomic::AtomicBool>) {
    // The connection open now goes first.
    let (mut seen, mut hits_left) = (proxy.accepted(), 5);
    while !stop.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(3)).await;
        let accepted = proxy.accepted();
        if accepted > seen {
            (seen, hits_left) = (accepted, 5);
        }
        if hits_left > 0 {
            hits_left -= 1;
            proxy.inject(Fault::Reset);
        }
    }
}

/// A link that resets every connection right after it is established, for 3 s, while the
/// client sends a message every 30 ms: the default reconnect policy (immediate first retry,
/// 500 ms doubling with jitter, a 10 s retry budget with a 0.5 retries/s floor, a circuit
/// breaker) bounds the attempts, the client shows it is reconnecting, and once the link is
/// stable again the session resumes and delivers everything, both ways.
#[tokio::test]
async fn flapping_link_is_bounded_by_the_retry_policy_then_resumes() {
    bounded(25, async {
        let n = 100;
        let mut server = TwoWay::start(ServerConfig::default(), n).await;
        let proxy = Proxy::start(server.addr).await.unwrap();
        let client = connect(proxy.addr(), ClientConfig::default()).await;
        let states = States::record(&client);
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flapping = tokio::spawn(flap(proxy.clone(), Arc::clone(&stop)));
        let before = proxy.accepted();
        let progress = AtomicUsize::new(0);
        let mut run = Box::pin(run_client_every(&client, n, Duration::from_millis(30), &progress));
        let report = tokio::select! {
            report = &mut run => Some(report),
            () = tokio::time::sleep(Duration::from_secs(3)) => None,
        };
        assert!(report.is_none(), "the last messages are sent after 3 s");
        stop.store(true, Ordering::SeqCst);
        flapping.await.unwrap();
        let attempts = proxy.accepted() - before;
        assert!(attempts >= 3, "the client kept trying: {attempts}");
        assert!(attempts < 30, "{attempts} connection attempts in 3 s: a reconnect storm");
        assert!(
            states
                .any(|s| matches!(s, ConnState::Reconnecting { .. } | ConnState::Suspended { .. })),
            "{:?}",
            states.all()
        );

        let stable = Instant::now();
        let report = run.await;
        let seen = server.reports.recv().await.unwrap();
        let delivered_after = stable.elapsed();
        check_complete("after flapping", &report, &seen, n);
        assert_eq!(server.handle.sessions(), 1, "the same session throughout");
        // The budget spent its floor (5 retries) in the first burst; the next retry waits for
        // that burst to leave the 10 s window, about 7 s after the flapping stops.
        let limit = Duration::from_secs(12);
        assert!(delivered_after < limit, "delivered {delivered_after:?} after the link settled");
        client.close().await.unwrap();
        server.wait_idle(IDLE).await;
    })
    .await;
}

/// The faults a random schedule draws from.
fn any_fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        Just(Fault::Reset),
        Just(Fault::Close),
        Just(Fault::Stall(Direction::Up)),
        Just(Fault::Stall(Direction::Down)),
        Just(Fault::Stall(Direction::Both)),
        (0u64..8_000).prop_map(Fault::CutAfter),
    ]
}

/// Messages each way in each proptest case, one every `PROP_GAP`: the traffic lasts about
/// 600 ms, so that the faults of a schedule (at most 4 × 150 ms) land while it runs.
const PROP_N: u64 = 200;

/// The wait between two sends on each side in each proptest case.
const PROP_GAP: Duration = Duration::from_millis(3);

/// Runs the fixed traffic pattern while applying `schedule` (a wait, then a fault, in turn);
/// both directions' deliveries and the connections the proxy accepted, or what was stuck
/// after 10 s.
async fn scheduled(schedule: Vec<(u64, Fault)>) -> Result<(Delivery, Delivery, u64), String> {
    let beat = Duration::from_millis(100);
    let session = ws_proto::Config::default().heartbeat(beat, beat);
    let config = ServerConfig::default().session(session.clone());
    let mut server = TwoWay::start_paced(config, PROP_N, Some(PROP_GAP)).await;
    let proxy = Proxy::start(server.addr).await.unwrap();
    let client = connect(proxy.addr(), fast_client(session)).await;
    let chaos = {
        let proxy = proxy.clone();
        tokio::spawn(async move {
            for (delay, fault) in schedule {
                tokio::time::sleep(Duration::from_millis(delay)).await;
                proxy.inject(fault);
            }
        })
    };
    let progress = AtomicUsize::new(0);
    let run = async {
        let report = run_client_every(&client, PROP_N, PROP_GAP, &progress).await;
        (report, server.reports.recv().await.unwrap())
    };
    let Ok((report, seen)) = tokio::time::timeout(Duration::from_secs(10), run).await else {
        let state = client.state().borrow().clone();
        let (sessions, connections) = (server.handle.sessions(), server.handle.connections());
        return Err(format!(
            "stuck: client received {} of {PROP_N}, state {state:?}, buffered {:?}; server \
             sessions {sessions}, connections {connections}; proxy accepted {}",
            progress.load(Ordering::SeqCst),
            client.session().buffered(),
            proxy.accepted(),
        ));
    };
    chaos.abort();
    let up = Delivery::check(report.sent, &seen.received, seen.told_lost());
    let down = Delivery::check(seen.sent, &report.received, report.told_lost());
    Ok((up, down, proxy.accepted()))
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 8,
        max_shrink_iters: 16,
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x5eed_0006),
        ..ProptestConfig::default()
    })]

    /// Random fault schedules during a fixed two-way pattern: delivered equals sent, in
    /// order, exactly once, both ways.
    #[test]
    fn delivered_equals_sent_under_random_fault_schedules(
        schedule in proptest::collection::vec((0u64..150, any_fault()), 1..5)
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let outcome = runtime.block_on(scheduled(schedule.clone()));
        let (up, down, accepted) = outcome.map_err(TestCaseError::fail)?;
        prop_assert!(up.complete() && up.sent == PROP_N, "up {:?} ({} connections)", up, accepted);
        prop_assert!(down.complete() && down.sent == PROP_N, "down {:?} ({} connections)", down, accepted);
    }
}
