//! The attack of issue 14 as a load: every connection sends all but the last KiB of one
//! near-limit message (as a first fragment), and only once every connection has done so, the
//! rest. Without a budget the server holds every partial message at once; with one, only as
//! many as fit, and the other sockets are not read (their bytes wait in the kernel).
//! `tests/tests/budget.rs` runs it CI-sized.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::Barrier;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::Frame as WsFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data as OpData, OpCode};
use ws_proto::{Data, Frame, Hello};

/// Errors of the load (this file is also included by `tests/tests/budget.rs`).
type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens `clients` raw binary-codec connections with their `hello` answered.
pub(crate) async fn connect(addr: SocketAddr, clients: usize) -> Result<Vec<Ws>> {
    let mut all = Vec::with_capacity(clients);
    for _ in 0..clients {
        let mut request = format!("ws://{addr}/ws").into_client_request()?;
        let protocol = HeaderValue::from_static(ws_proto::SUBPROTOCOL_BINARY);
        request.headers_mut().insert("sec-websocket-protocol", protocol);
        let (mut ws, _) = tokio_tungstenite::connect_async(request).await?;
        ws.send(Message::Binary(ws_proto::binary::encode(&Frame::Hello(Hello::default())))).await?;
        let _welcome = ws.next().await.ok_or("closed before welcome")??;
        all.push(ws);
    }
    Ok(all)
}

/// Sends the messages in two fragments around a barrier; calls `between` when every first
/// fragment was written (or 10 s passed); the number of answers received.
pub(crate) async fn send(all: Vec<Ws>, payload: usize, between: impl FnOnce()) -> usize {
    let mut data = Data::new(Bytes::from(vec![b'x'; payload]));
    data.seq = 1;
    let mut encoded = ws_proto::binary::encode(&Frame::Data(data));
    let tail = encoded.split_off(encoded.len() - 1024);
    let barrier = Arc::new(Barrier::new(all.len() + 1));
    let tasks: Vec<_> = all
        .into_iter()
        .map(|ws| tokio::spawn(one(ws, encoded.clone(), tail.clone(), Arc::clone(&barrier))))
        .collect();
    let _ = tokio::time::timeout(Duration::from_secs(10), barrier.wait()).await;
    between();
    let mut answered = 0;
    for task in tasks {
        answered += usize::from(matches!(task.await, Ok(true)));
    }
    answered
}

async fn one(mut ws: Ws, head: Bytes, tail: Bytes, barrier: Arc<Barrier>) -> bool {
    let first = fragment(head, OpCode::Data(OpData::Binary), false);
    let sent = tokio::time::timeout(Duration::from_secs(10), ws.send(first)).await;
    barrier.wait().await;
    if !matches!(sent, Ok(Ok(()))) {
        return false;
    }
    if ws.send(fragment(tail, OpCode::Data(OpData::Continue), true)).await.is_err() {
        return false;
    }
    while let Some(Ok(message)) = ws.next().await {
        if let Message::Binary(bytes) = message
            && matches!(ws_proto::binary::decode(&bytes), Ok(Frame::Data(_)))
        {
            return true;
        }
    }
    false
}

fn fragment(payload: Bytes, opcode: OpCode, fin: bool) -> Message {
    Message::Frame(WsFrame::message(payload, opcode, fin))
}
