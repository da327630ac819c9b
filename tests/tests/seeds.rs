//! The seed scenarios (the ten core WebSocket tests of seed 004, plus backpressure), each over
//! real sockets on loopback, through the fault proxy where the network must misbehave.
#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
mod support;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::SinkExt;
use ws_proto::{Data, ErrorCode, Frame, Hello, Resume};
use ws_reliable::{Client, ClientConfig, Codec, Error, LostReason, Payload, Server, ServerConfig};
use ws_reliable_tests::{Direction, Fault, Proxy};

use support::{
    Echo, Raw, bounded, connect, error_then_close, fast_reconnect, next_frame, raw_json,
    round_trip, rss_kib, send_frame, send_text, wait_until,
};

const IDLE: Duration = Duration::from_secs(5);

/// Seed 1: a client connects, gets a session id, and the server runs its handler exactly
/// once for that session, even across a reconnect.
#[tokio::test]
async fn s01_connection_establishment() {
    bounded(10, async {
        let echo = Echo::start(ServerConfig::default()).await;
        let proxy = Proxy::start(echo.addr).await.unwrap();
        let client = connect(proxy.addr(), fast_reconnect()).await;
        let id = client.session().id().to_owned();
        assert!(!id.is_empty(), "the welcome carries a session id");
        round_trip(&client, "first").await;
        assert_eq!(echo.stats.handlers(), 1);
        assert_eq!(echo.stats.ids(), vec![id.clone()], "handler sees the same id");
        assert_eq!(echo.handle.sessions(), 1);

        // A reconnect resumes the session: no second handler.
        proxy.inject(Fault::Reset);
        round_trip(&client, "after reset").await;
        assert!(proxy.accepted() >= 2, "the reset forced a reconnect");
        assert_eq!(client.session().id(), id);
        assert_eq!(echo.stats.handlers(), 1, "one handler per session");
        assert_eq!(echo.handle.sessions(), 1);

        // Another client is another session with its own handler.
        let other = connect(echo.addr, ClientConfig::default()).await;
        round_trip(&other, "other").await;
        assert_ne!(other.session().id(), id);
        assert_eq!(echo.stats.handlers(), 2);
        client.close().await.unwrap();
        other.close().await.unwrap();
        echo.wait_idle(IDLE).await;
    })
    .await;
}

fn payloads() -> Vec<Payload> {
    vec![
        Payload::from("hello"),
        Payload::from(r#"{"kind":"chat","text":"héllo wörld ✓","n":[1,2,3]}"#),
        Payload::from(""),
        Payload::Binary(Bytes::from_static(&[0, 1, 2, 0xfe, 0xff])),
        Payload::Binary(Bytes::new()),
        Payload::Binary(Bytes::from((0..64 * 1024).map(|i| i as u8).collect::<Vec<_>>())),
        Payload::from("x".repeat(100 * 1024)),
    ]
}

async fn exchange(codec: Codec) {
    let echo = Echo::start(ServerConfig::default()).await;
    let client = connect(echo.addr, ClientConfig::default().codec(codec)).await;
    let sent = payloads();
    // Sequence numbers rise; they need not be consecutive for the application, since
    // session-layer messages (state sync) share the sequence.
    let mut last = 0;
    for payload in &sent {
        let seq = client.send(payload.clone()).await.unwrap();
        assert!(seq > last, "client sequence numbers rise: {seq} after {last}");
        last = seq;
    }
    let mut last = 0;
    for (i, payload) in sent.iter().enumerate() {
        let got = client.recv().await.unwrap().unwrap();
        assert_eq!(&got.payload, payload, "{codec:?} payload {i} intact, same kind");
        assert!(got.seq > last, "server sequence numbers rise: {} after {last}", got.seq);
        last = got.seq;
    }
    assert_eq!(echo.stats.received(), sent.len());
    client.close().await.unwrap();
    echo.wait_idle(IDLE).await;
}

/// Seed 2: text, JSON documents and bytes both ways, binary codec.
#[tokio::test]
async fn s02_send_receive_binary_codec() {
    bounded(10, exchange(Codec::Binary)).await;
}

/// Seed 2: the same over the JSON codec (bytes travel base64-encoded).
#[tokio::test]
async fn s02_send_receive_json_codec() {
    bounded(10, exchange(Codec::Json)).await;
}

async fn cycles(addr: SocketAddr, workers: usize, per_worker: usize) {
    let tasks: Vec<_> = (0..workers)
        .map(|w| {
            tokio::spawn(async move {
                for i in 0..per_worker {
                    let client = connect(addr, ClientConfig::default()).await;
                    round_trip(&client, &format!("w{w}-{i}")).await;
                    client.close().await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
}

/// Seed 4 (cleanup): 1,000 connect/close cycles leave no session, no connection, no handler
/// running, and no memory growth behind.
#[tokio::test]
async fn s03_connection_cleanup_no_ghosts() {
    bounded(60, async {
        let mut echo = Echo::start(ServerConfig::default()).await;
        cycles(echo.addr, 4, 25).await; // warm-up: allocator arenas, runtime
        echo.wait_idle(IDLE).await;
        let before = rss_kib();
        cycles(echo.addr, 4, 250).await;
        echo.wait_idle(IDLE).await;
        let after = rss_kib();
        let growth = after.saturating_sub(before);
        assert!(
            growth < 20 * 1024,
            "RSS grew {growth} KiB ({before} -> {after}) over 1,000 cycles"
        );
        assert_eq!(echo.stats.handlers(), 1_100);
        for n in 0..1_100 {
            let outcome = echo.outcomes.recv().await.unwrap();
            assert!(outcome.is_ok(), "handler {n} ended with {outcome:?}");
        }
    })
    .await;
}

/// Seed 4 (cleanup, accounting): a socket that upgraded to WebSocket but has not said `Hello`
/// yet is an open connection too; `connections()` must see it (and `max_connections` must
/// limit it), or idle sockets pile up unseen until the hello timeout.
#[tokio::test]
async fn s03_connections_counts_sockets_awaiting_hello() {
    bounded(10, async {
        let echo = Echo::start(ServerConfig::default()).await;
        let mut raws = Vec::new();
        for _ in 0..3 {
            raws.push(raw_json(echo.addr).await);
        }
        // Let the server finish each HTTP exchange; the sockets stay open, silent.
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(echo.handle.connections(), 3, "upgraded sockets awaiting hello");
        drop(raws);
        echo.wait_idle(IDLE).await;
    })
    .await;
}

async fn expect_refused(addr: SocketAddr, hello: bool, text: &str, code: ErrorCode) {
    let mut raw = raw_json(addr).await;
    if hello {
        send_frame(&mut raw, &Frame::Hello(Hello::default())).await;
        assert!(matches!(next_frame(&mut raw).await, Ok(Frame::Welcome(_))));
    }
    send_text(&mut raw, text).await;
    let (error, close) = error_then_close(&mut raw).await;
    let code = code.as_u16();
    assert_eq!(error, Some(code), "error frame for {text:?} (hello: {hello})");
    if hello {
        assert_eq!(close, Some(code), "close code for {text:?}");
    }
}

/// Seed 5: broken input gets an error frame with the right code (and, on a live session, a
/// close with that code), while a well-behaved session on the same server keeps working.
#[tokio::test]
async fn s04_error_handling() {
    bounded(15, async {
        let echo = Echo::start(ServerConfig::default()).await;
        let good = connect(echo.addr, ClientConfig::default()).await;
        let data = |seq| ws_proto::json::encode(&Frame::Data(Data::new("x").with_seq(seq)));
        let cases: Vec<(bool, String, ErrorCode)> = vec![
            (false, "this is not json".into(), ErrorCode::Malformed),
            (false, r#"{"nope":{}}"#.into(), ErrorCode::Malformed),
            (false, data(1), ErrorCode::Unexpected),
            (true, "}{".into(), ErrorCode::Malformed),
            (true, r#"{"nope":{}}"#.into(), ErrorCode::Malformed),
            (true, r#"{"ack":{"up_to":7}}"#.into(), ErrorCode::AckBeyondSent),
            (true, data(5), ErrorCode::SequenceGap),
            (true, r#"{"hello":{}}"#.into(), ErrorCode::Unexpected),
        ];
        for (i, (hello, text, code)) in cases.into_iter().enumerate() {
            expect_refused(echo.addr, hello, &text, code).await;
            round_trip(&good, &format!("still fine {i}")).await;
        }
        // A binary message on a JSON connection is malformed too.
        let mut raw = raw_json(echo.addr).await;
        send_frame(&mut raw, &Frame::Hello(Hello::default())).await;
        assert!(matches!(next_frame(&mut raw).await, Ok(Frame::Welcome(_))));
        let binary = tokio_tungstenite::tungstenite::Message::binary(vec![1u8, 2, 3]);
        raw.send(binary).await.unwrap();
        let malformed = Some(ErrorCode::Malformed.as_u16());
        assert_eq!(error_then_close(&mut raw).await, (malformed, malformed));
        round_trip(&good, "still fine at the end").await;
        good.close().await.unwrap();
    })
    .await;
}

trait WithSeq {
    fn with_seq(self, seq: u64) -> Self;
}

impl WithSeq for Data {
    fn with_seq(mut self, seq: u64) -> Self {
        self.seq = seq;
        self
    }
}

async fn recv_texts(client: &Client, n: usize, prefix: &str) {
    for i in 0..n {
        let got = client.recv().await.unwrap().unwrap();
        assert_eq!(got.text(), Some(format!("{prefix}{i}").as_str()));
    }
}

/// Seed 6: messages sent while the network is stalled are all delivered once it comes back,
/// client to server and server to client.
#[tokio::test]
async fn s05_queue_persists_across_reconnects() {
    bounded(15, async {
        let echo = Echo::start(ServerConfig::default()).await;
        let proxy = Proxy::start(echo.addr).await.unwrap();
        let client = connect(proxy.addr(), fast_reconnect()).await;

        // Client to server: nothing gets through the stall, then the connection dies.
        proxy.inject(Fault::Stall(Direction::Up));
        tokio::task::yield_now().await; // let the proxy see the stall
        for i in 0..100 {
            client.send(format!("a{i}")).await.unwrap();
        }
        // Give the messages every chance to leak through the stall.
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(echo.stats.received(), 0, "the stall held everything back");
        proxy.inject(Fault::Reset);
        recv_texts(&client, 100, "a").await;

        // Server to client: the server gets and echoes everything, the echoes are stuck.
        let before = proxy.accepted();
        proxy.inject(Fault::Stall(Direction::Down));
        for i in 0..100 {
            client.send(format!("b{i}")).await.unwrap();
        }
        let stats = Arc::clone(&echo.stats);
        wait_until("server received all", IDLE, || stats.received() == 200).await;
        proxy.inject(Fault::Reset);
        recv_texts(&client, 100, "b").await;
        assert!(proxy.accepted() > before, "the second reset forced a reconnect");
        assert_eq!(echo.stats.received(), 200, "exactly once at the server");
        assert_eq!(echo.handle.sessions(), 1);
        client.close().await.unwrap();
        echo.wait_idle(IDLE).await;
    })
    .await;
}

/// Seed 7: 50 clients at once (all the same subject: multi-tab), each echoing 100 messages,
/// every one correct and independent.
#[tokio::test]
async fn s06_concurrent_connections() {
    bounded(20, async {
        let echo = Echo::start(ServerConfig::default()).await;
        let connecting = (0..50).map(|_| connect(echo.addr, ClientConfig::default()));
        let clients: Vec<Client> = futures_util::future::join_all(connecting).await;
        assert_eq!(echo.handle.sessions(), 50);
        let ids: HashSet<String> = clients.iter().map(|c| c.session().id().into()).collect();
        assert_eq!(ids.len(), 50, "distinct sessions for one subject");
        let tasks: Vec<_> = clients
            .into_iter()
            .enumerate()
            .map(|(c, client)| {
                tokio::spawn(async move {
                    let prefix = format!("c{c}-");
                    let send = async {
                        for i in 0..100 {
                            client.send(format!("{prefix}{i}")).await.unwrap();
                        }
                    };
                    tokio::join!(send, recv_texts(&client, 100, &prefix));
                    client.close().await.unwrap();
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(echo.stats.received(), 5_000);
        assert_eq!(echo.stats.handlers(), 50);
        echo.wait_idle(IDLE).await;
    })
    .await;
}

/// Seed 8: with a 200 ms heartbeat, a half-open connection (proxy stalls both ways) is found
/// by the server within interval + timeout; the client, whose own timeout is longer, then
/// notices too, reconnects, and nothing sent meanwhile is lost.
#[tokio::test]
async fn s07_heartbeat_detects_half_open() {
    bounded(15, async {
        let beat = Duration::from_millis(200);
        let server_session = ws_proto::Config::default().heartbeat(beat, beat);
        let echo = Echo::start(ServerConfig::default().session(server_session)).await;
        let proxy = Proxy::start(echo.addr).await.unwrap();
        let client_session = ws_proto::Config::default().heartbeat(beat, beat * 5);
        let client = connect(proxy.addr(), fast_reconnect().session(client_session)).await;
        round_trip(&client, "before").await;
        assert_eq!(echo.handle.connections(), 1);

        let stalled = Instant::now();
        proxy.inject(Fault::Stall(Direction::Both));
        for i in 0..50 {
            client.send(format!("m{i}")).await.unwrap();
        }
        let handle = echo.handle.clone();
        wait_until("server drops the silent peer", IDLE, || handle.connections() == 0).await;
        let detected = stalled.elapsed();
        assert!(
            detected <= beat * 2 + Duration::from_millis(300),
            "server detected the ghost after {detected:?}"
        );
        assert_eq!(proxy.accepted(), 1, "the client has not reconnected yet");
        assert_eq!(echo.handle.sessions(), 1, "the session waits for a resume");

        wait_until("client reconnects", IDLE, || proxy.accepted() >= 2).await;
        proxy.inject(Fault::None);
        recv_texts(&client, 50, "m").await;
        round_trip(&client, "after").await;
        assert_eq!(echo.stats.received(), 52, "exactly once at the server");
        assert_eq!(echo.stats.handlers(), 1);
        client.close().await.unwrap();
        echo.wait_idle(IDLE).await;
    })
    .await;
}

/// Sends `total` numbered messages, yielding often so that data is in flight, and resets the
/// proxy at each of `resets_at`, waiting for the client to reconnect before going on.
async fn send_with_resets(client: &Client, proxy: &Proxy, total: usize, resets_at: &[usize]) {
    for i in 0..total {
        if resets_at.contains(&i) {
            let before = proxy.accepted();
            proxy.inject(Fault::Reset);
            wait_until("reconnect", IDLE, || proxy.accepted() > before).await;
        }
        client.send(i.to_string()).await.unwrap();
        if i % 20 == 0 {
            tokio::task::yield_now().await;
        }
    }
}

/// Seed 9: 10,000 messages echoed through 5 resets arrive in order, exactly once.
#[tokio::test]
async fn s08_ordering_across_resets() {
    bounded(30, async {
        let echo = Echo::start(ServerConfig::default()).await;
        let proxy = Proxy::start(echo.addr).await.unwrap();
        let client = connect(proxy.addr(), fast_reconnect()).await;
        let total = 10_000usize;
        let resets_at = [1_000, 2_500, 4_000, 5_500, 7_000];
        let receive = async {
            let mut seen = HashSet::new();
            let (mut duplicates, mut out_of_order, mut last_seq) = (0, 0, 0);
            for i in 0..total {
                let got = client.recv().await.unwrap().unwrap();
                let n: usize = got.text().unwrap().parse().unwrap();
                duplicates += usize::from(!seen.insert(n));
                out_of_order += usize::from(n != i);
                assert!(got.seq > last_seq, "sequence numbers rise");
                last_seq = got.seq;
            }
            (seen.len(), duplicates, out_of_order)
        };
        let send = send_with_resets(&client, &proxy, total, &resets_at);
        let ((distinct, duplicates, out_of_order), ()) = tokio::join!(receive, send);
        assert_eq!(duplicates, 0, "no duplicates");
        assert_eq!(out_of_order, 0, "in order");
        assert_eq!(distinct, total, "none missing");
        assert_eq!(echo.stats.received(), total, "exactly once at the server");
        assert_eq!(proxy.accepted(), 6, "5 resets, 5 reconnects");
        assert_eq!(echo.handle.sessions(), 1);
        assert_eq!(echo.stats.handlers(), 1);
        client.close().await.unwrap();
        echo.wait_idle(IDLE).await;
    })
    .await;
}

/// Seed 9 (expiry): a client that vanishes behind a half-open connection and never comes
/// back: the server detects it, waits out the resume window, then tells the handler
/// `SessionLost(Expired)` and frees the session.
#[tokio::test]
async fn s09_session_expiry() {
    bounded(10, async {
        let window = Duration::from_millis(500);
        let beat = Duration::from_millis(100);
        let session = ws_proto::Config::default().heartbeat(beat, beat);
        let config = ServerConfig::default().session(session).resume_window(window);
        let mut echo = Echo::start(config).await;
        let proxy = Proxy::start(echo.addr).await.unwrap();
        let client = connect(proxy.addr(), ClientConfig::default()).await;
        round_trip(&client, "hello").await;

        let gone = Instant::now();
        proxy.inject(Fault::Stall(Direction::Both));
        drop(client);
        let outcome = echo.outcomes.recv().await.unwrap();
        let elapsed = gone.elapsed();
        assert!(
            matches!(outcome, Err(Error::SessionLost(LostReason::Expired))),
            "handler saw {outcome:?}"
        );
        assert!(elapsed >= window, "expired after only {elapsed:?}");
        assert!(
            elapsed <= window + beat * 2 + Duration::from_millis(500),
            "expired late: {elapsed:?}"
        );
        echo.wait_idle(IDLE).await;
        assert_eq!(proxy.accepted(), 1, "the client never came back");
    })
    .await;
}

async fn welcome(raw: &mut Raw, resume: Option<Resume>) -> ws_proto::Welcome {
    send_frame(raw, &Frame::Hello(Hello { resume })).await;
    match next_frame(raw).await {
        Ok(Frame::Welcome(welcome)) => welcome,
        other => panic!("expected a welcome, got {other:?}"),
    }
}

async fn expect_data(raw: &mut Raw, seq: u64, text: &str) {
    match next_frame(raw).await {
        Ok(Frame::Data(data)) => {
            assert_eq!(data.seq, seq);
            assert_eq!(data.payload, Payload::from(text));
        }
        other => panic!("expected data {seq}, got {other:?}"),
    }
}

/// Seed 10 (takeover): a resume while the old connection is still attached moves the session
/// to the new connection, closes the old one, and the session carries on in order.
#[tokio::test]
async fn s10_resume_takes_over_live_connection() {
    bounded(10, async {
        let echo = Echo::start(ServerConfig::default()).await;
        let mut first = raw_json(echo.addr).await;
        let hello = welcome(&mut first, None).await;
        assert!(!hello.resumed);
        for seq in 1..=3 {
            let data = Data::new(format!("m{seq}")).with_seq(seq);
            send_frame(&mut first, &Frame::Data(data)).await;
        }
        for seq in 1..=3 {
            expect_data(&mut first, seq, &format!("m{seq}")).await;
        }

        let mut second = raw_json(echo.addr).await;
        let resume =
            Resume { session: hello.session.clone(), token: hello.token.clone(), last_received: 3 };
        let again = welcome(&mut second, Some(resume)).await;
        assert_eq!(again.session, hello.session);
        assert!(again.resumed, "the second welcome resumes");
        assert_eq!(again.last_received, 3, "the server had 1..=3");

        let old = loop {
            match next_frame(&mut first).await {
                Ok(_) => continue,
                Err(close) => break close,
            }
        };
        assert_eq!(old, Some(1001), "the old connection is closed as going away");
        send_frame(&mut second, &Frame::Data(Data::new("m4").with_seq(4))).await;
        expect_data(&mut second, 4, "m4").await;
        assert_eq!(echo.stats.handlers(), 1);
        assert_eq!(echo.stats.received(), 4);
        assert_eq!(echo.handle.sessions(), 1);
    })
    .await;
}

/// A server whose handler sends `s0..s999` as fast as `send` lets it, counting sends and the
/// peak of its replay buffer; replay bound `bound` messages.
async fn sending_server(bound: usize) -> (SocketAddr, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let session = ws_proto::Config::default().buffer(bound, 1 << 20);
    let server = Server::builder()
        .config(ServerConfig::default().session(session))
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let addr = server.local_addr().unwrap();
    let sent = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (sent2, peak2) = (Arc::clone(&sent), Arc::clone(&peak));
    // The handle is dropped: the server keeps running until the runtime ends.
    let _ = server.start(move |session| {
        let (sent, peak) = (Arc::clone(&sent2), Arc::clone(&peak2));
        async move {
            for i in 0..1_000 {
                session.send(format!("s{i}")).await?;
                sent.fetch_add(1, Ordering::SeqCst);
                peak.fetch_max(session.buffered().0, Ordering::SeqCst);
            }
            Ok(())
        }
    });
    (addr, sent, peak)
}

/// Waits until the server has sent `bound` messages, then checks it stays there.
async fn expect_blocked_at(sent: &AtomicUsize, bound: usize, what: &str) {
    wait_until("server fills its buffer", IDLE, || sent.load(Ordering::SeqCst) >= bound).await;
    // Give a send that ignores the bound every chance to go through.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sent.load(Ordering::SeqCst), bound, "{what}");
}

/// Backpressure: a client that does not read makes the server's `send` wait at the replay
/// bound instead of buffering without limit; nothing is lost once it reads.
#[tokio::test]
async fn s11_slow_consumer_backpressure() {
    bounded(15, async {
        let bound = 100;
        let (addr, sent, peak) = sending_server(bound).await;
        let client = connect(addr, ClientConfig::default()).await;
        expect_blocked_at(&sent, bound, "send waits at the bound").await;
        recv_texts(&client, 1_000, "s").await;
        assert!(peak.load(Ordering::SeqCst) <= bound, "buffer stayed bounded");
        assert_eq!(client.recv().await.unwrap(), None, "handler ended the session");
    })
    .await;
}

/// Backpressure across a reconnect: a client that consumed nothing still holds everything it
/// received, so resuming must not let the server send past the bound again (else each
/// reconnect adds a replay window to the slow client's memory).
#[tokio::test]
async fn s11_slow_consumer_backpressure_survives_reconnect() {
    bounded(15, async {
        let bound = 100;
        let (addr, sent, _) = sending_server(bound).await;
        let proxy = Proxy::start(addr).await.unwrap();
        let client = connect(proxy.addr(), fast_reconnect()).await;
        expect_blocked_at(&sent, bound, "send waits at the bound").await;
        proxy.inject(Fault::Reset);
        wait_until("reconnect", IDLE, || proxy.accepted() >= 2).await;
        let what = "after a resume with nothing consumed, send still waits at the bound";
        expect_blocked_at(&sent, bound, what).await;
        recv_texts(&client, 1_000, "s").await;
        assert_eq!(client.recv().await.unwrap(), None, "handler ended the session");
    })
    .await;
}
