//! Shared helpers for the seed scenarios: an echo server that counts what its handlers see,
//! clients that reconnect fast, a raw WebSocket speaking JSON frames (to break the protocol on
//! purpose), bounded waits, and the process's resident memory.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use reconnect::{Backoff, Policy};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use ws_proto::Frame;
use ws_reliable::{Client, ClientConfig, Server, ServerConfig, ServerHandle, Session};

/// Runs `fut`, failing the test if it takes longer than `secs` seconds.
pub(crate) async fn bounded<T>(secs: u64, fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(secs), fut).await.expect("test timed out")
}

/// Polls `cond` every few milliseconds until it holds; fails after `limit`. Only for state
/// that has no event to await (server counters).
pub(crate) async fn wait_until(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The WebSocket URL of a server (or proxy) address.
pub(crate) fn url(addr: SocketAddr) -> String {
    format!("ws://{addr}/ws")
}

/// A client configuration whose reconnect attempts after the first (immediate) one wait at
/// most 100 ms.
pub(crate) fn fast_reconnect() -> ClientConfig {
    let backoff = Backoff::new(Duration::from_millis(10), Duration::from_millis(100));
    let policy = Policy::default().backoff(backoff);
    ClientConfig::default().reconnect(reconnect::Config::default().policy(policy))
}

/// Connects a client with `config` to `addr`.
pub(crate) async fn connect(addr: SocketAddr, config: ClientConfig) -> Client {
    Client::builder().config(config).connect(url(addr)).await.expect("client connects")
}

/// Sends `text` and expects it back as the next message.
pub(crate) async fn round_trip(client: &Client, text: &str) {
    client.send(text).await.expect("send");
    let echo = client.recv().await.expect("recv").expect("session open");
    assert_eq!(echo.text(), Some(text));
}

/// What the echo server's handlers saw.
#[derive(Debug)]
pub(crate) struct Stats {
    /// Handler invocations (one per session).
    pub(crate) handlers: AtomicUsize,
    /// Messages received by all handlers together.
    pub(crate) received: AtomicUsize,
    /// The session id each handler got, in start order.
    pub(crate) ids: Mutex<Vec<String>>,
    outcomes: mpsc::UnboundedSender<ws_reliable::Result<()>>,
}

impl Stats {
    /// A copy of the session ids handlers saw.
    pub(crate) fn ids(&self) -> Vec<String> {
        self.ids.lock().expect("ids lock").clone()
    }

    /// Handler invocations so far.
    pub(crate) fn handlers(&self) -> usize {
        self.handlers.load(Ordering::SeqCst)
    }

    /// Messages received by handlers so far.
    pub(crate) fn received(&self) -> usize {
        self.received.load(Ordering::SeqCst)
    }
}

/// An echo server whose handlers report to [`Stats`] and, when `recv` ends, send its outcome
/// (`Ok(())` for a clean close, the error otherwise) to `outcomes`.
pub(crate) struct Echo {
    pub(crate) handle: ServerHandle,
    pub(crate) addr: SocketAddr,
    pub(crate) stats: Arc<Stats>,
    pub(crate) outcomes: mpsc::UnboundedReceiver<ws_reliable::Result<()>>,
}

impl Echo {
    /// Binds on 127.0.0.1:0 with `config` and starts echoing.
    pub(crate) async fn start(config: ServerConfig) -> Echo {
        let server = Server::builder().config(config).bind("127.0.0.1:0").await.expect("bind");
        let addr = server.local_addr().expect("local addr");
        let (tx, outcomes) = mpsc::unbounded_channel();
        let stats = Arc::new(Stats {
            handlers: AtomicUsize::new(0),
            received: AtomicUsize::new(0),
            ids: Mutex::new(Vec::new()),
            outcomes: tx,
        });
        let for_handler = Arc::clone(&stats);
        let handle = server.start(move |session| {
            let stats = Arc::clone(&for_handler);
            async move {
                stats.handlers.fetch_add(1, Ordering::SeqCst);
                stats.ids.lock().expect("ids lock").push(session.id().to_owned());
                let outcome = echo_loop(&session, &stats).await;
                let _ = stats.outcomes.send(outcome);
                Ok(())
            }
        });
        Echo { handle, addr, stats, outcomes }
    }

    /// Waits until the server holds no session and no connection.
    pub(crate) async fn wait_idle(&self, limit: Duration) {
        let handle = &self.handle;
        wait_until("sessions and connections back to 0", limit, || {
            handle.sessions() == 0 && handle.connections() == 0
        })
        .await;
    }
}

/// The plain echo handler: every message goes back, in order, until the session ends.
pub(crate) async fn echo(session: Session) -> ws_reliable::Result<()> {
    echo_each(&session, || {}).await
}

async fn echo_loop(session: &Session, stats: &Stats) -> ws_reliable::Result<()> {
    echo_each(session, || _ = stats.received.fetch_add(1, Ordering::SeqCst)).await
}

async fn echo_each(session: &Session, on_message: impl Fn()) -> ws_reliable::Result<()> {
    while let Some(message) = session.recv().await? {
        on_message();
        session.send(message.payload).await?;
    }
    Ok(())
}

/// A raw WebSocket client that speaks JSON frames itself.
pub(crate) type Raw = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens a raw WebSocket to `addr` offering the JSON subprotocol, and checks it was chosen.
pub(crate) async fn raw_json(addr: SocketAddr) -> Raw {
    let mut request = url(addr).into_client_request().expect("request");
    request
        .headers_mut()
        .insert("sec-websocket-protocol", HeaderValue::from_static(ws_proto::SUBPROTOCOL_JSON));
    let (ws, response) = tokio_tungstenite::connect_async(request).await.expect("raw connect");
    let chosen = response.headers().get("sec-websocket-protocol");
    assert_eq!(chosen.and_then(|v| v.to_str().ok()), Some(ws_proto::SUBPROTOCOL_JSON));
    ws
}

/// Sends one frame, JSON-encoded.
pub(crate) async fn send_frame(ws: &mut Raw, frame: &Frame) {
    send_text(ws, &ws_proto::json::encode(frame)).await;
}

/// Sends one text message as is.
pub(crate) async fn send_text(ws: &mut Raw, text: &str) {
    ws.send(WsMessage::text(text)).await.expect("raw send");
}

/// The next frame from the server, skipping acks and control messages; `Err` with the close
/// code (if any) once the connection ends.
pub(crate) async fn next_frame(ws: &mut Raw) -> Result<Frame, Option<u16>> {
    loop {
        match ws.next().await {
            Some(Ok(WsMessage::Text(text))) => {
                let frame = ws_proto::json::decode(text.as_str()).expect("server sent valid JSON");
                if !matches!(frame, Frame::Ack(_)) {
                    return Ok(frame);
                }
            }
            Some(Ok(WsMessage::Close(close))) => return Err(close.map(|c| u16::from(c.code))),
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return Err(None),
        }
    }
}

/// Reads until the server ends the connection: the last error frame's code and the close code.
pub(crate) async fn error_then_close(ws: &mut Raw) -> (Option<u16>, Option<u16>) {
    let mut error = None;
    loop {
        match next_frame(ws).await {
            Ok(Frame::Error(e)) => error = Some(e.code),
            Ok(_) => {}
            Err(close) => return (error, close),
        }
    }
}

/// Resident memory of this process in KiB, from `/proc/self/status`.
pub(crate) fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS line")
}

/// One HTTP GET over a raw TCP connection; the status and the body.
pub(crate) async fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut raw = String::new();
    tcp.read_to_string(&mut raw).await.unwrap();
    let status = raw[9..12].parse().unwrap();
    let body = raw.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned();
    (status, body)
}
