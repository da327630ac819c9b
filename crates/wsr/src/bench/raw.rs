//! The baseline client: plain tokio-tungstenite over a `TcpStream` with TCP_NODELAY.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use super::cases::{Dir, Tput};
use super::raw_server::{blast, ws_config};
use super::wire::{Command, stamp_of, stamped};
use super::{io_error, micros_since, nanos_since};
use crate::error::{Error, Result};

/// A raw client connection.
pub type Ws = WebSocketStream<TcpStream>;

/// Connects with TCP_NODELAY and tungstenite's default config (or `read_buf`).
pub async fn connect(addr: SocketAddr, read_buf: Option<usize>) -> Result<Ws> {
    let tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    let url = format!("ws://{addr}/");
    let config = Some(ws_config(read_buf));
    let (ws, _) =
        tokio_tungstenite::client_async_with_config(url, tcp, config).await.map_err(io_error)?;
    Ok(ws)
}

/// One connection's share of a throughput run; returns the messages the receiver confirmed.
/// c2s: send, then `FIN`, and wait for the server's `ACK <count>`; s2c: `GO`, count until `END`.
pub async fn transfer(mut ws: Ws, spec: Tput, feed: bool) -> Result<u64> {
    if spec.dir == Dir::C2s {
        blast(&mut ws, spec.msgs, spec.size, feed).await.map_err(io_error)?;
        ws.send(Message::text(Command::Fin.to_text())).await.map_err(io_error)?;
    } else {
        let go = Command::Go { msgs: spec.msgs, size: spec.size, feed };
        ws.send(Message::text(go.to_text())).await.map_err(io_error)?;
    }
    let mut count = 0;
    while let Some(message) = ws.next().await {
        match message.map_err(io_error)? {
            Message::Binary(_) => count += 1,
            Message::Text(text) if text.as_str() == "END" => return Ok(count),
            Message::Text(text) => {
                let acked = text.as_str().strip_prefix("ACK ").and_then(|n| n.parse().ok());
                return acked.ok_or_else(|| Error::Invalid(format!("unexpected {text}")));
            }
            _ => {}
        }
    }
    Err(Error::Invalid("connection closed mid-run".to_owned()))
}

/// Sends `n` stamped 64 B messages, one every `period` after `delay`, each with its own
/// flush, and returns the round-trip times (µs) of the echoes.
pub async fn echo(
    ws: Ws,
    n: u64,
    period: Duration,
    delay: Duration,
    base: Instant,
) -> Result<Vec<f64>> {
    let (mut sink, mut stream) = ws.split();
    sink.send(Message::text(Command::Echo.to_text())).await.map_err(io_error)?;
    let writer = tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        let mut interval = tokio::time::interval(period);
        for _ in 0..n {
            interval.tick().await;
            sink.send(Message::Binary(stamped(64, nanos_since(base)))).await?;
        }
        Ok::<_, tokio_tungstenite::tungstenite::Error>(sink)
    });
    let mut rtts = Vec::with_capacity(n as usize);
    while rtts.len() < n as usize {
        let Some(message) = stream.next().await else { break };
        if let Message::Binary(payload) = message.map_err(io_error)? {
            rtts.extend(stamp_of(&payload).map(|sent| micros_since(base, sent)));
        }
    }
    // The writer hands its half back so the connection stays whole until the reader ends.
    let _sink = writer.await?.map_err(io_error)?;
    Ok(rtts)
}

/// Keeps an idle connection open with a reader task, as an application would.
pub fn hold(mut ws: Ws) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move { while let Some(Ok(_)) = ws.next().await {} })
}
