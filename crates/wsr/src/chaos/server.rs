//! The chaos run's server: echoes every message, records what arrived per client, and
//! answers a stream request with a stream of chunks.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use ws_reliable::{Server, ServerConfig, ServerHandle, Session};

use crate::chaos::check::{chunk_text, parse_data, parse_stream_request};
use crate::error::Result;
use crate::serve::write_stream;

/// What the server saw, shared by every session's handler.
#[derive(Clone, Debug, Default)]
pub(crate) struct ServerLog {
    inner: Arc<Mutex<LogInner>>,
}

/// A snapshot of the log.
#[derive(Clone, Debug, Default)]
pub(crate) struct LogInner {
    /// Per client.
    pub(crate) clients: HashMap<u32, ServerRecord>,
    /// Texts that were neither data nor a stream request.
    pub(crate) unreadable: u64,
    /// Handler errors by text, e.g. `session lost: Expired`.
    pub(crate) errors: BTreeMap<String, u64>,
}

/// What the server received from one client and echoed back.
#[derive(Clone, Debug, Default)]
pub(crate) struct ServerRecord {
    /// Data sequence numbers in arrival order.
    pub(crate) received: Vec<u64>,
    /// Echoes the server's `send` accepted.
    pub(crate) echoed: u64,
}

impl ServerLog {
    /// A copy of everything recorded so far.
    pub(crate) fn snapshot(&self) -> LogInner {
        self.inner.lock().clone()
    }

    fn received(&self, client: u32, index: u64) {
        let mut log = self.inner.lock();
        log.clients.entry(client).or_default().received.push(index);
    }

    fn echoed(&self, client: u32) {
        self.inner.lock().clients.entry(client).or_default().echoed += 1;
    }

    fn unreadable(&self) {
        self.inner.lock().unreadable += 1;
    }

    fn error(&self, error: &ws_reliable::Error) {
        *self.inner.lock().errors.entry(error.to_string()).or_default() += 1;
    }
}

/// Binds on loopback with `config` and starts the recording echo handler; stream chunks go
/// out every `stream_pace`, from a task of their own, interleaved with the echoes.
pub(crate) async fn start(
    config: ServerConfig,
    log: ServerLog,
    stream_pace: Duration,
) -> Result<(ServerHandle, SocketAddr)> {
    let server = Server::builder().config(config).bind("127.0.0.1:0").await?;
    let addr = server.local_addr()?;
    let handle = server.start(move |session| handle(session, log.clone(), stream_pace));
    Ok((handle, addr))
}

async fn handle(session: Session, log: ServerLog, pace: Duration) -> ws_reliable::Result<()> {
    let outcome = serve_session(&session, &log, pace).await;
    if let Err(e) = &outcome {
        log.error(e);
    }
    outcome
}

async fn serve_session(
    session: &Session,
    log: &ServerLog,
    pace: Duration,
) -> ws_reliable::Result<()> {
    while let Some(message) = session.recv().await? {
        let text = message.text().unwrap_or_default();
        if let Some((client, index)) = parse_data(text) {
            log.received(client, index);
            session.send(message.payload).await?;
            log.echoed(client);
        } else if let Some((client, chunks)) = parse_stream_request(text) {
            tokio::spawn(stream(session.clone(), log.clone(), client, chunks, pace));
        } else {
            log.unreadable();
        }
    }
    Ok(())
}

async fn stream(session: Session, log: ServerLog, client: u32, chunks: u64, pace: Duration) {
    let chunk = |k| chunk_text(client, k);
    let outcome = write_stream(&session, format!("c{client}"), chunks, pace, chunk).await;
    if let Err(e) = &outcome {
        log.error(e);
    }
}
