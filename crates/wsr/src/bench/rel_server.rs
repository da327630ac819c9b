//! The reliable server: `ws_reliable::Server` with its default config; one handler per
//! session that counts (the acks are the answer), echoes after `ECHO`, answers `GO` with a
//! blast, `flush()` and `END`, and `TICK` with a 1 ms stream of sequence numbers.

use std::net::SocketAddr;
use std::time::Duration;

use ws_reliable::{Payload, Server, ServerHandle, Session};

use super::wire::{Command, stamped};
use crate::error::Result;

/// Binds 127.0.0.1 on an ephemeral port and serves in the background.
pub async fn start() -> Result<(ServerHandle, SocketAddr)> {
    let server = Server::builder().bind("127.0.0.1:0").await?;
    let addr = server.local_addr()?;
    Ok((server.start(handle), addr))
}

async fn handle(session: Session) -> ws_reliable::Result<()> {
    let mut echo = false;
    while let Some(message) = session.recv().await? {
        match message.payload {
            Payload::Binary(payload) if echo => {
                session.send(payload).await?;
            }
            Payload::Binary(_) => {}
            Payload::Text(text) => match Command::parse(&text) {
                Some(Command::Echo) => echo = true,
                Some(Command::Go { msgs, size, .. }) => blast(&session, msgs, size).await?,
                Some(Command::Tick) => {
                    tokio::spawn(tick(session.clone()));
                }
                Some(Command::Fin) | None => {}
            },
        }
    }
    Ok(())
}

/// Sends `msgs` messages of `size` bytes, waits until the client acknowledged all, then `END`.
async fn blast(session: &Session, msgs: u64, size: usize) -> ws_reliable::Result<()> {
    let payload = stamped(size, 0);
    for _ in 0..msgs {
        session.send(payload.clone()).await?;
    }
    session.flush().await?;
    session.send("END").await?;
    Ok(())
}

/// Sends sequence numbers 0, 1, ... one per millisecond until the session is gone.
async fn tick(session: Session) {
    let mut interval = tokio::time::interval(Duration::from_millis(1));
    for seq in 0u64.. {
        interval.tick().await;
        if session.send(stamped(8, seq)).await.is_err() {
            return;
        }
    }
}
