//! The reliable client: `ws_reliable::Client` with its default config.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ws_reliable::{Client, Payload};

use super::cases::{Dir, Tput};
use super::wire::{Command, stamp_of, stamped};
use super::{micros_since, nanos_since};
use crate::error::{Error, Result};

/// Connects a session to the benchmark server at `addr`.
pub async fn connect(addr: SocketAddr) -> Result<Client> {
    Ok(Client::builder().connect(format!("ws://{addr}/ws")).await?)
}

/// One session's share of a throughput run; returns the messages acknowledged. c2s: send,
/// then `flush()` (every message acknowledged by the server); s2c: `GO`, count until `END`
/// (which the server sends after its own `flush()`).
pub async fn transfer(client: Client, spec: Tput) -> Result<u64> {
    if spec.dir == Dir::C2s {
        let payload = stamped(spec.size, 0);
        for _ in 0..spec.msgs {
            client.send(payload.clone()).await?;
        }
        client.session().flush().await?;
        return Ok(spec.msgs);
    }
    let go = Command::Go { msgs: spec.msgs, size: spec.size, feed: true };
    client.send(go.to_text()).await?;
    let mut count = 0;
    while let Some(message) = client.recv().await? {
        match message.payload {
            Payload::Binary(_) => count += 1,
            Payload::Text(text) if text == "END" => return Ok(count),
            Payload::Text(text) => return Err(Error::Invalid(format!("unexpected {text}"))),
        }
    }
    Err(Error::Invalid("session closed mid-run".to_owned()))
}

/// Sends `n` stamped 64 B messages, one every `period` after `delay`, and returns the
/// round-trip times (µs) of the echoes.
pub async fn echo(
    client: Client,
    n: u64,
    period: Duration,
    delay: Duration,
    base: Instant,
) -> Result<Vec<f64>> {
    client.send(Command::Echo.to_text()).await?;
    let session = client.session().clone();
    let writer = tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        let mut interval = tokio::time::interval(period);
        for _ in 0..n {
            interval.tick().await;
            session.send(stamped(64, nanos_since(base))).await?;
        }
        Ok::<_, ws_reliable::Error>(())
    });
    let mut rtts = Vec::with_capacity(n as usize);
    while rtts.len() < n as usize {
        let Some(message) = client.recv().await? else { break };
        if let Payload::Binary(payload) = &message.payload {
            rtts.extend(stamp_of(payload).map(|sent| micros_since(base, sent)));
        }
    }
    writer.await??;
    Ok(rtts)
}
