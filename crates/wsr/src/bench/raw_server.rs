//! The baseline server: plain tokio-tungstenite, TCP_NODELAY, one task per connection, the
//! same commands as the reliable one ([`super::wire`]); binary messages are counted (or
//! echoed after `ECHO`), and `GO` answers with a blast and `END`.

use std::net::SocketAddr;

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::wire::{Command, stamped};
use crate::error::Result;

/// tungstenite's default config, with `read_buffer_size` set when `read_buf` is given.
pub fn ws_config(read_buf: Option<usize>) -> WebSocketConfig {
    let config = WebSocketConfig::default();
    match read_buf {
        Some(size) => config.read_buffer_size(size),
        None => config,
    }
}

/// Binds 127.0.0.1 on an ephemeral port and serves in the background.
pub async fn start(read_buf: Option<usize>) -> Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(connection(tcp, read_buf));
        }
    });
    Ok(addr)
}

#[derive(Default)]
struct State {
    count: u64,
    echo: bool,
}

async fn connection(tcp: TcpStream, read_buf: Option<usize>) {
    let _ = tcp.set_nodelay(true);
    let config = Some(ws_config(read_buf));
    let Ok(mut ws) = tokio_tungstenite::accept_async_with_config(tcp, config).await else {
        return;
    };
    let mut state = State::default();
    while let Some(Ok(message)) = ws.next().await {
        if handle(&mut ws, &mut state, message).await.is_err() {
            return;
        }
    }
}

async fn handle(
    ws: &mut WebSocketStream<TcpStream>,
    state: &mut State,
    message: Message,
) -> Result<(), WsError> {
    match message {
        Message::Binary(payload) if state.echo => ws.send(Message::Binary(payload)).await,
        Message::Binary(_) => {
            state.count += 1;
            Ok(())
        }
        Message::Text(text) => match Command::parse(text.as_str()) {
            Some(Command::Fin) => {
                let count = std::mem::take(&mut state.count);
                ws.send(Message::text(format!("ACK {count}"))).await
            }
            Some(Command::Echo) => {
                state.echo = true;
                Ok(())
            }
            Some(Command::Go { msgs, size, feed }) => blast(ws, msgs, size, feed).await,
            Some(Command::Tick) | None => Ok(()),
        },
        _ => Ok(()),
    }
}

/// Sends `msgs` messages of `size` bytes (one flush each, or batched), then `END`.
pub async fn blast<S>(ws: &mut S, msgs: u64, size: usize, feed: bool) -> Result<(), WsError>
where
    S: futures_util::Sink<Message, Error = WsError> + Unpin,
{
    let payload = stamped(size, 0);
    for _ in 0..msgs {
        let message = Message::Binary(payload.clone());
        if feed {
            ws.feed(message).await?;
        } else {
            ws.send(message).await?;
        }
    }
    ws.send(Message::text("END")).await
}
