//! Mid-stream recovery over real sockets on loopback: streams (LLM tokens, a JSON document, a
//! multi-part response, a 4 MiB binary response) interrupted by resets and cuts arrive whole,
//! exactly once and in order, ending with a verified digest; a stream whose peer never comes
//! back ends in an explicit loss on the writing side.
//!
//! The server answers a text request `stream:<kind>:<n>` by writing a stream. Producers that
//! stand for a model generating tokens are paced (a token per millisecond) so that the faults
//! land while the stream is still being written, not after it was all sent.
//!
//! A corrupted stream comes from a raw WebSocket client speaking the JSON protocol itself (as
//! a client in another language would): its last chunk carries a wrong digest.
#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::SinkExt;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use ws_reliable::proto::{Data, Frame, Hello, StreamPart};
use ws_reliable::{
    Client, Error, LostReason, Message, Payload, Server, ServerConfig, ServerHandle, Session,
    StreamWriter,
};
use ws_reliable_tests::{Direction, Fault, Proxy};

/// What the server's stream tasks report: the request and how writing it ended.
type Report = (String, ws_reliable::Result<()>);

/// Size of one chunk of the binary response.
const BLOB: usize = 64 << 10;

/// Runs a test body, failing it if it takes longer than 10 seconds.
async fn bounded<T>(fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), fut).await.expect("test timed out")
}

/// Starts a streaming server on 127.0.0.1:0; its stream tasks report to the receiver.
async fn start(
    config: ServerConfig,
) -> (ServerHandle, SocketAddr, mpsc::UnboundedReceiver<Report>) {
    let server = Server::builder().config(config).bind("127.0.0.1:0").await.unwrap();
    let addr = server.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    let handle = server.start(move |session| handle_session(session, tx.clone()));
    (handle, addr, rx)
}

/// Answers every request of a session with a stream written by its own task, so requests
/// (and the streams they start) can overlap. Stream chunks a client sends are only verified:
/// a corrupted one is reported as `recv:<stream id>`, and the session goes on.
async fn handle_session(
    session: Session,
    reports: mpsc::UnboundedSender<Report>,
) -> ws_reliable::Result<()> {
    loop {
        match session.recv().await {
            Ok(Some(message)) if message.stream.is_none() => {
                let request = message.text().unwrap_or_default().to_owned();
                let (session, reports) = (session.clone(), reports.clone());
                tokio::spawn(async move {
                    let outcome = serve(&session, &request).await;
                    let _ = reports.send((request, outcome));
                });
            }
            Ok(Some(_chunk)) => {}
            Ok(None) => return Ok(()),
            Err(Error::StreamCorrupted(id)) => {
                let _ = reports.send((format!("recv:{id}"), Err(Error::StreamCorrupted(id))));
            }
            Err(e) => return Err(e),
        }
    }
}

/// Writes the stream a request asks for.
async fn serve(session: &Session, request: &str) -> ws_reliable::Result<()> {
    let parts: Vec<&str> = request.split(':').collect();
    let n: usize = parts.get(2).and_then(|n| n.parse().ok()).unwrap_or(0);
    let writer = session.open_stream(parts.get(1).copied().unwrap_or_default());
    match parts.get(1).copied() {
        Some("text") => write_all(writer, tokens("tok", n), true).await,
        Some("json") => write_all(writer, json_chunks(n).into_iter(), true).await,
        Some("binary") => write_all(writer, (0..n).map(blob), false).await,
        Some("endless") => write_all(writer, tokens("tok", usize::MAX), true).await,
        Some("multi") => multi(session, n).await,
        Some("flood") => write_all(writer, (0..usize::MAX).map(flood), false).await,
        _ => Ok(()),
    }
}

/// Three streams on one session, written at once by three tasks sharing the session.
async fn multi(session: &Session, n: usize) -> ws_reliable::Result<()> {
    let tasks: Vec<_> = (0..3)
        .map(|part| {
            let writer = session.open_stream(format!("part-{part}"));
            tokio::spawn(write_all(writer, tokens(&format!("p{part}-"), n), true))
        })
        .collect();
    for task in tasks {
        task.await.unwrap()?;
    }
    Ok(())
}

/// Writes every chunk, the last one with `finish`; `paced` waits a millisecond after each.
async fn write_all(
    mut writer: StreamWriter,
    chunks: impl Iterator<Item = Payload>,
    paced: bool,
) -> ws_reliable::Result<()> {
    let mut chunks = chunks.peekable();
    while let Some(chunk) = chunks.next() {
        if chunks.peek().is_none() {
            writer.finish(chunk).await?;
            return Ok(());
        }
        writer.write(chunk).await?;
        if paced {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    Ok(())
}

/// `n` tokens: `<prefix>0 `, `<prefix>1 `, ...
fn tokens(prefix: &str, n: usize) -> impl Iterator<Item = Payload> + use<> {
    let prefix = prefix.to_owned();
    (0..n).map(move |i| Payload::Text(format!("{prefix}{i} ")))
}

/// What a token stream of `n` tokens reads once reassembled.
fn token_text(prefix: &str, n: usize) -> String {
    (0..n).map(|i| format!("{prefix}{i} ")).collect()
}

/// A JSON document of `items` items, with escapes and non-ASCII text.
fn json_doc(items: usize) -> String {
    let items: Vec<String> = (0..items)
        .map(|i| {
            format!(
                r#"{{"id":{i},"name":"item-{i}","tags":["a{i}","b"],"score":{i}.5,"nested":{{"ok":true,"note":"café ☕ \"quoted\"\n"}}}}"#
            )
        })
        .collect();
    format!(r#"{{"kind":"report","items":[{}],"total":{}}}"#, items.join(","), items.len())
}

/// The JSON document of `items` items in chunks of 1,000 characters (never splitting one).
fn json_chunks(items: usize) -> Vec<Payload> {
    let chars: Vec<char> = json_doc(items).chars().collect();
    chars.chunks(1000).map(|chunk| Payload::Text(chunk.iter().collect())).collect()
}

/// Parses JSON text.
fn parse_json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).expect("valid JSON")
}

/// Chunk `i` of the binary response: a pattern that differs per chunk and per offset.
fn blob(i: usize) -> Payload {
    Payload::from(blob_bytes(i))
}

/// Chunk `i` of an endless binary stream (cheap to make: one byte repeated).
fn flood(i: usize) -> Payload {
    Payload::from(vec![i as u8; BLOB])
}

fn blob_bytes(i: usize) -> Vec<u8> {
    (0..BLOB).map(|j| (i * 7 + j / 251 + j) as u8).collect()
}

/// Connects a client (default configuration) to `addr`.
async fn connect(addr: SocketAddr) -> Client {
    Client::builder().connect(format!("ws://{addr}/ws")).await.unwrap()
}

/// Starts a proxy in front of `addr` and a client behind it that sends `request`.
async fn client_via_proxy(addr: SocketAddr, request: &str) -> (Client, Proxy) {
    let proxy = Proxy::start(addr).await.unwrap();
    let client = connect(proxy.addr()).await;
    client.send(request).await.unwrap();
    (client, proxy)
}

/// A raw WebSocket client that speaks the JSON protocol itself.
type Raw = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens a raw WebSocket to `addr` with the JSON subprotocol and starts a new session.
async fn raw_json(addr: SocketAddr) -> Raw {
    let mut request = format!("ws://{addr}/ws").into_client_request().unwrap();
    let protocol = HeaderValue::from_static(ws_reliable::proto::SUBPROTOCOL_JSON);
    request.headers_mut().insert("sec-websocket-protocol", protocol);
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    send_frame(&mut ws, Frame::Hello(Hello::default())).await;
    ws
}

async fn send_frame(ws: &mut Raw, frame: Frame) {
    let text = ws_reliable::proto::json::encode(&frame);
    ws.send(WsMessage::text(text)).await.unwrap();
}

/// Data frame `seq` carrying chunk `index` of the stream `upload`.
fn upload_chunk(seq: u64, index: u64, text: &str, digest: Option<[u8; 32]>) -> Frame {
    let part = StreamPart { id: "upload".to_owned(), index, last: digest.is_some(), digest };
    Frame::Data(Data { seq, stream: Some(part), ..Data::new(text) })
}

/// The chunks a client received, by stream, checked as they arrive: each stream's chunks
/// come in index order from 0 without gap or duplicate, and nothing follows the last one.
#[derive(Debug, Default)]
struct Collector {
    streams: HashMap<String, Vec<Payload>>,
    finished: HashSet<String>,
    order: Vec<String>,
}

impl Collector {
    fn accept(&mut self, message: Message) {
        let chunk = message.stream.expect("the server sends only stream chunks");
        assert!(
            !self.finished.contains(&chunk.stream),
            "chunk {} of {} after its last chunk",
            chunk.index,
            chunk.stream
        );
        let got = self.streams.entry(chunk.stream.clone()).or_default();
        assert_eq!(
            chunk.index,
            got.len() as u64,
            "stream {}: chunk out of order, duplicated or missing",
            chunk.stream
        );
        got.push(message.payload);
        if chunk.last {
            self.finished.insert(chunk.stream.clone());
        }
        self.order.push(chunk.stream);
    }

    /// Receives until `done` holds; a receive error (corruption, loss) fails the test.
    async fn until(&mut self, client: &Client, done: impl Fn(&Self) -> bool) {
        while !done(self) {
            let message = client.recv().await.expect("no error");
            self.accept(message.expect("session still open"));
        }
    }

    /// Receives until every stream in `ids` ended (its digest verified by the library).
    async fn finish(&mut self, client: &Client, ids: &[&str]) {
        self.until(client, |c| ids.iter().all(|id| c.finished.contains(*id))).await;
    }

    /// Chunks received so far, all streams together.
    fn total(&self) -> usize {
        self.order.len()
    }

    /// The text of stream `id`, reassembled.
    fn text(&self, id: &str) -> String {
        let chunks = self.streams.get(id).map(Vec::as_slice).unwrap_or_default();
        chunks
            .iter()
            .map(|p| match p {
                Payload::Text(text) => text.as_str(),
                Payload::Binary(_) => panic!("binary chunk in text stream {id}"),
            })
            .collect()
    }
}

/// Receives from `client` into `collector`, resetting the proxy's connection each time the
/// total number of chunks received reaches one of `at`.
async fn reset_at(collector: &mut Collector, client: &Client, proxy: &Proxy, at: &[usize]) {
    for &k in at {
        collector.until(client, |c| c.total() >= k).await;
        proxy.inject(Fault::Reset);
    }
}

#[tokio::test]
async fn token_stream_survives_three_resets() {
    bounded(async {
        let (server, addr, mut reports) = start(ServerConfig::default()).await;
        let (client, proxy) = client_via_proxy(addr, "stream:text:500").await;
        let mut got = Collector::default();
        reset_at(&mut got, &client, &proxy, &[100, 250, 400]).await;
        got.finish(&client, &["text"]).await;
        assert_eq!(got.total(), 500, "every token exactly once");
        assert_eq!(got.text("text"), token_text("tok", 500), "in order");
        assert!(proxy.accepted() >= 4, "three resets, three reconnects: {}", proxy.accepted());
        let (request, outcome) = reports.recv().await.unwrap();
        assert_eq!(request, "stream:text:500");
        outcome.expect("the writer finished without error");
        assert_eq!(server.sessions(), 1, "one session across all connections");
    })
    .await;
}

#[tokio::test]
async fn json_document_reassembles_and_parses_after_resets() {
    bounded(async {
        let (_server, addr, _reports) = start(ServerConfig::default()).await;
        let (client, proxy) = client_via_proxy(addr, "stream:json:2000").await;
        let expected = json_doc(2000);
        let chunks = json_chunks(2000).len();
        assert!(chunks > 100, "a large document: {chunks} chunks");
        let mut got = Collector::default();
        reset_at(&mut got, &client, &proxy, &[chunks / 3, 2 * chunks / 3]).await;
        got.finish(&client, &["json"]).await;
        let text = got.text("json");
        assert_eq!(text.len(), expected.len(), "no byte lost or repeated");
        assert_eq!(text, expected, "the same document");
        let parsed = parse_json(&text);
        assert_eq!(parsed, parse_json(&expected), "equal as JSON values");
        let state = parsed;
        assert_eq!(state["items"].as_array().map(Vec::len), Some(2000));
        assert_eq!(state["items"][1999]["nested"]["note"], "café ☕ \"quoted\"\n");
        assert!(proxy.accepted() >= 3, "two reconnects: {}", proxy.accepted());
    })
    .await;
}

#[tokio::test]
async fn interleaved_multi_part_response_survives_resets() {
    bounded(async {
        let (_server, addr, mut reports) = start(ServerConfig::default()).await;
        let (client, proxy) = client_via_proxy(addr, "stream:multi:200").await;
        let mut got = Collector::default();
        reset_at(&mut got, &client, &proxy, &[150, 300, 450]).await;
        got.finish(&client, &["part-0", "part-1", "part-2"]).await;
        assert_eq!(got.total(), 600, "every chunk of every part exactly once");
        for part in 0..3 {
            let prefix = format!("p{part}-");
            assert_eq!(got.text(&format!("part-{part}")), token_text(&prefix, 200));
        }
        let switches = got.order.windows(2).filter(|w| w[0] != w[1]).count();
        assert!(switches > 10, "the parts interleaved: {switches} switches");
        assert!(proxy.accepted() >= 4, "three reconnects: {}", proxy.accepted());
        reports.recv().await.unwrap().1.expect("all three writers finished");
    })
    .await;
}

#[tokio::test]
async fn one_stream_keeps_its_buffer_across_five_disconnects() {
    bounded(async {
        let (server, addr, _reports) = start(ServerConfig::default()).await;
        let (client, proxy) = client_via_proxy(addr, "stream:text:700").await;
        let mut got = Collector::default();
        reset_at(&mut got, &client, &proxy, &[100, 200, 300, 400, 500]).await;
        got.finish(&client, &["text"]).await;
        assert_eq!(got.total(), 700);
        assert_eq!(got.text("text"), token_text("tok", 700));
        assert!(proxy.accepted() >= 6, "five reconnects: {}", proxy.accepted());
        assert_eq!(server.sessions(), 1, "one session across all connections");
    })
    .await;
}

#[tokio::test]
async fn stream_to_a_peer_that_never_returns_ends_in_an_explicit_loss() {
    bounded(async {
        let session = ws_reliable::proto::Config::default()
            .heartbeat(Duration::from_millis(100), Duration::from_millis(200));
        let config =
            ServerConfig::default().session(session).resume_window(Duration::from_millis(300));
        let (server, addr, mut reports) = start(config).await;
        let (client, proxy) = client_via_proxy(addr, "stream:endless:0").await;
        let mut got = Collector::default();
        got.until(&client, |c| c.total() >= 50).await;
        // The network goes silent (a half-open connection), then the client goes away.
        proxy.inject(Fault::Stall(Direction::Both));
        drop(client);
        let (request, outcome) = reports.recv().await.unwrap();
        assert_eq!(request, "stream:endless:0");
        match outcome {
            Err(Error::SessionLost(LostReason::Expired)) => {}
            other => panic!("expected an explicit expiry, got {other:?}"),
        }
        assert_eq!(proxy.accepted(), 1, "the client never came back");
        drop(server);
    })
    .await;
}

#[tokio::test]
async fn explicit_loss_even_when_the_writer_outruns_the_socket_buffers() {
    bounded(async {
        // A replay buffer larger than what the socket buffers between server and proxy hold
        // (on loopback here, between 4 and 8 MiB): after the stall the server's writes into
        // the connection block on a full socket, and the silent peer must still be detected.
        let session = ws_reliable::proto::Config::default()
            .heartbeat(Duration::from_millis(100), Duration::from_millis(200))
            .buffer(100_000, 32 << 20);
        let config =
            ServerConfig::default().session(session).resume_window(Duration::from_millis(300));
        let (server, addr, mut reports) = start(config).await;
        let (client, proxy) = client_via_proxy(addr, "stream:flood:0").await;
        let mut got = Collector::default();
        got.until(&client, |c| c.total() >= 5).await;
        proxy.inject(Fault::Stall(Direction::Both));
        drop(client);
        let outcome = tokio::time::timeout(Duration::from_secs(5), reports.recv()).await;
        assert!(
            matches!(outcome, Ok(Some((_, Err(Error::SessionLost(LostReason::Expired)))))),
            "no explicit loss within 5 s (heartbeat 300 ms + resume window 300 ms): \
             {outcome:?}; server connections still open: {}",
            server.connections()
        );
    })
    .await;
}

#[tokio::test]
async fn corrupted_stream_is_reported_not_delivered_and_the_session_goes_on() {
    bounded(async {
        let (_server, addr, mut reports) = start(ServerConfig::default()).await;
        let mut ws = raw_json(addr).await;
        send_frame(&mut ws, upload_chunk(1, 0, "hello ", None)).await;
        send_frame(&mut ws, upload_chunk(2, 1, "world", Some([0; 32]))).await;
        let after = Frame::Data(Data { seq: 3, ..Data::new("stream:none:0") });
        send_frame(&mut ws, after).await;
        let (what, outcome) = reports.recv().await.unwrap();
        assert_eq!(what, "recv:upload", "the corruption is reported first");
        match outcome {
            Err(Error::StreamCorrupted(id)) => assert_eq!(id, "upload"),
            other => panic!("expected StreamCorrupted, got {other:?}"),
        }
        let (what, outcome) = reports.recv().await.unwrap();
        assert_eq!(what, "stream:none:0", "the next message still arrives");
        outcome.unwrap();
    })
    .await;
}

#[tokio::test]
async fn ten_streams_interrupted_at_once_all_complete() {
    bounded(async {
        let (server, addr, _reports) = start(ServerConfig::default()).await;
        let (reached, mut reached_rx) = mpsc::unbounded_channel();
        let mut proxies = Vec::new();
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let (client, proxy) = client_via_proxy(addr, "stream:text:400").await;
            proxies.push(proxy);
            let reached = reached.clone();
            tasks.push(tokio::spawn(async move {
                let mut got = Collector::default();
                got.until(&client, |c| c.total() >= 100).await;
                reached.send(()).unwrap();
                got.finish(&client, &["text"]).await;
                got
            }));
        }
        for _ in 0..10 {
            reached_rx.recv().await.unwrap();
        }
        proxies.iter().for_each(|proxy| proxy.inject(Fault::Reset));
        for task in tasks {
            let got = task.await.unwrap();
            assert_eq!(got.total(), 400);
            assert_eq!(got.text("text"), token_text("tok", 400));
        }
        for proxy in &proxies {
            assert!(proxy.accepted() >= 2, "reconnected: {}", proxy.accepted());
        }
        assert_eq!(server.sessions(), 10, "ten sessions, each resumed");
    })
    .await;
}

#[tokio::test]
async fn four_mib_response_resumes_after_a_cut_near_its_end() {
    bounded(async {
        let (_server, addr, mut reports) = start(ServerConfig::default()).await;
        let proxy = Proxy::start(addr).await.unwrap();
        let client = connect(proxy.addr()).await;
        // About 3.8 MB of the ~4.2 MB response pass; the connection is cut mid-frame.
        proxy.inject(Fault::CutAfter(3_800_000));
        client.send("stream:binary:64").await.unwrap();
        let mut got = Collector::default();
        got.finish(&client, &["binary"]).await;
        let chunks = &got.streams["binary"];
        assert_eq!(chunks.len(), 64, "every chunk exactly once");
        let mut total = 0;
        for (i, chunk) in chunks.iter().enumerate() {
            let Payload::Binary(bytes) = chunk else {
                panic!("chunk {i} is not binary");
            };
            assert!(bytes[..] == blob_bytes(i)[..], "chunk {i} has the wrong bytes");
            total += bytes.len();
        }
        assert_eq!(total, 4 << 20, "exactly 4 MiB arrived");
        assert_eq!(proxy.accepted(), 2, "exactly one reconnect");
        reports.recv().await.unwrap().1.expect("the writer finished");
    })
    .await;
}
