//! `wsr serve`: a ready relay server on the facade.
//!
//! Every text message is a command or is echoed back:
//!
//! - `/join ROOM` joins a room;
//! - `/say ROOM text` sends `text` to every session in the room, through each one's
//!   [`Session::send`] (so it is buffered and replayed across their reconnects);
//! - `/stream N` answers with a resumable stream of `N` chunks (an LLM-token demo);
//! - anything else, text or binary, comes back unchanged.
//!
//! `GET /` is the demo page ([`crate::demo`]). `GET /health/websocket` is served by the facade, `GET /metrics` (Prometheus text) by the
//! recorder this binary installs. Ctrl-C stops accepting and disconnects every connection
//! ("going away").

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use ws_reliable::auth::Jwt;
use ws_reliable::{MetricsRender, Server, ServerConfig, ServerHandle, Session};

use crate::error::Result;

/// `wsr serve` settings.
#[derive(Clone, Debug, clap::Args)]
#[non_exhaustive]
pub struct ServeConfig {
    /// Address to listen on. Default `127.0.0.1:9000`.
    #[arg(long, default_value = "127.0.0.1:9000")]
    pub addr: String,
    /// HS256 secret: when set, every connection needs a bearer JWT signed with it (header
    /// `Authorization: Bearer`, `access_token` query parameter, or `bearer.` subprotocol).
    /// Default none: everyone is accepted.
    #[arg(long)]
    pub jwt_secret: Option<String>,
    /// How long a disconnected session waits for its client to resume, in milliseconds.
    /// Default 120000 (2 min).
    #[arg(long, default_value_t = 120_000)]
    pub resume_window_ms: u64,
    /// An origin allowed to open a WebSocket (`Origin` header, e.g. `https://app.example`);
    /// repeat for several. Default none: any origin (set it for browsers on the internet).
    #[arg(long = "allowed-origin")]
    pub allowed_origins: Vec<String>,
    /// An accepted JWT `aud`; repeat for several. When given, `aud` is required. Default
    /// none: `aud` is not checked. Needs `--jwt-secret`.
    #[arg(long = "jwt-audience", requires = "jwt_secret")]
    pub jwt_audiences: Vec<String>,
    /// An accepted JWT `iss`; repeat for several. When given, `iss` is required. Default
    /// none: `iss` is not checked. Needs `--jwt-secret`.
    #[arg(long = "jwt-issuer", requires = "jwt_secret")]
    pub jwt_issuers: Vec<String>,
    /// PEM certificate chain: with `--tls-key`, serve `wss://` (TLS 1.2/1.3, rustls).
    /// Default none: plain `ws://`.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1) of `--tls-cert`. Default none.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
    /// Where sessions live: a directory (on disk: survives a restart of this node) or a
    /// `redis://host:port` URL (shared by nodes: a client resumes on any of them). Default
    /// none: in memory.
    #[arg(long)]
    pub store: Option<String>,
    /// Most bytes held in flight by the whole server (large messages being read, messages
    /// not yet handled, replay buffers); at the limit reads pause and new sessions get close
    /// 1013. Default none: a quarter of the machine's available memory (1 GiB where
    /// `/proc/meminfo` cannot be read).
    #[arg(long)]
    pub memory_budget: Option<usize>,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            addr: "127.0.0.1:9000".to_owned(),
            jwt_secret: None,
            resume_window_ms: 120_000,
            allowed_origins: Vec::new(),
            jwt_audiences: Vec::new(),
            jwt_issuers: Vec::new(),
            tls_cert: None,
            tls_key: None,
            store: None,
            memory_budget: None,
        }
    }
}

impl ServeConfig {
    /// The URL scheme clients use: `wss` with TLS, else `ws`.
    pub fn scheme(&self) -> &'static str {
        if self.tls_cert.is_some() { "wss" } else { "ws" }
    }
}

/// Sessions by room name. Clones share the rooms.
#[derive(Clone, Debug, Default)]
pub struct Rooms {
    inner: Arc<Mutex<HashMap<String, Vec<Session>>>>,
}

/// One parsed incoming text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command<'a> {
    /// `/join ROOM`.
    Join(&'a str),
    /// `/say ROOM text`.
    Say(&'a str, &'a str),
    /// `/stream N`.
    Stream(u64),
    /// Anything else: echo it.
    Echo,
}

impl<'a> Command<'a> {
    /// Parses a text message; malformed commands are echoed like any other text.
    pub fn parse(text: &'a str) -> Self {
        let mut words = text.splitn(3, ' ');
        match (words.next(), words.next(), words.next()) {
            (Some("/join"), Some(room), None) if !room.is_empty() => Command::Join(room),
            (Some("/say"), Some(room), Some(said)) if !room.is_empty() => Command::Say(room, said),
            (Some("/stream"), Some(n), None) => n.parse().map_or(Command::Echo, Command::Stream),
            _ => Command::Echo,
        }
    }
}

impl Rooms {
    /// Adds `session` to `room` (once).
    pub fn join(&self, room: &str, session: &Session) {
        let mut rooms = self.inner.lock();
        let members = rooms.entry(room.to_owned()).or_default();
        if !members.iter().any(|m| m.id() == session.id()) {
            members.push(session.clone());
        }
    }

    /// The sessions in `room` now.
    pub fn members(&self, room: &str) -> Vec<Session> {
        self.inner.lock().get(room).cloned().unwrap_or_default()
    }

    /// Removes the session `id` from every room, and drops rooms left empty.
    pub fn leave_all(&self, id: &str) {
        let mut rooms = self.inner.lock();
        for members in rooms.values_mut() {
            members.retain(|m| m.id() != id);
        }
        rooms.retain(|_, members| !members.is_empty());
    }

    /// Sends `text` to every session in `room`; a member whose session is gone leaves.
    pub async fn say(&self, room: &str, text: &str) {
        for member in self.members(room) {
            if let Err(e) = member.send(text.to_owned()).await {
                tracing::info!(session = %member.id(), error = %e, "room member gone");
                self.leave_all(member.id());
            }
        }
    }
}

/// Serves until Ctrl-C, then shuts down gracefully.
pub async fn run(config: ServeConfig) -> Result<()> {
    let (handle, addr) = start_with(&config, prometheus()).await?;
    let scheme = config.scheme();
    tracing::info!(%addr, auth = config.jwt_secret.is_some(), "wsr serve: {scheme}://{addr}/ws, demo page at /");
    tokio::signal::ctrl_c().await?;
    tracing::info!(sessions = handle.sessions(), "Ctrl-C: shutting down");
    handle.shutdown();
    // Give the connections a moment to send their close frames before the runtime ends.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    while handle.connections() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// Installs the Prometheus recorder (this binary's decision, never a library's) and returns
/// the `GET /metrics` renderer; keeps its histograms trimmed every 5 s.
fn prometheus() -> Option<MetricsRender> {
    let handle = match ws_metrics::prometheus::install() {
        Ok(handle) => handle,
        Err(e) => {
            tracing::warn!(error = %e, "no /metrics: the Prometheus recorder did not install");
            return None;
        }
    };
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(5));
        loop {
            every.tick().await;
            upkeep.run_upkeep();
        }
    });
    Some(Arc::new(move || handle.render()))
}

/// Binds and starts the relay in the background; returns its handle and address.
pub async fn start(config: &ServeConfig) -> Result<(ServerHandle, SocketAddr)> {
    start_with(config, None).await
}

/// Like [`start`], serving `GET /metrics` with `metrics` when given.
pub async fn start_with(
    config: &ServeConfig,
    metrics: Option<MetricsRender>,
) -> Result<(ServerHandle, SocketAddr)> {
    let mut server_config = ServerConfig::default()
        .resume_window(Duration::from_millis(config.resume_window_ms))
        .allowed_origins(config.allowed_origins.iter().cloned());
    server_config.metrics_route = metrics;
    server_config.static_route = Some(crate::demo::route());
    let window = Duration::from_millis(config.resume_window_ms);
    server_config.memory_budget = config.memory_budget;
    let mut builder = Server::builder().config(server_config);
    builder = crate::store::apply(builder, config.store.as_deref(), window).await?;
    if let Some(secret) = &config.jwt_secret {
        builder = builder.auth(jwt(secret, config));
    }
    if let (Some(cert), Some(key)) = (&config.tls_cert, &config.tls_key) {
        let (cert, key) = (std::fs::read(cert)?, std::fs::read(key)?);
        builder = builder.tls(ws_reliable::tls::server_config(&cert, &key)?);
    }
    let server = builder.bind(config.addr.as_str()).await?;
    let addr = server.local_addr()?;
    let rooms = Rooms::default();
    let handle = server.start(move |session| relay(session, rooms.clone()));
    Ok((handle, addr))
}

/// The HS256 verifier with the configured audiences and issuers.
fn jwt(secret: &str, config: &ServeConfig) -> Jwt {
    let jwt = config.jwt_audiences.iter().fold(Jwt::hs256(secret), |jwt, aud| jwt.audience(aud));
    config.jwt_issuers.iter().fold(jwt, |jwt, iss| jwt.issuer(iss))
}

/// Sends `chunks` chunks as one stream `id`, one every `pace` (like tokens from a model),
/// the last through `finish` (which carries the digest). Chunk `k` is `chunk(k)`; zero
/// chunks is one empty final chunk.
pub async fn write_stream(
    session: &Session,
    id: String,
    chunks: u64,
    pace: Duration,
    chunk: impl Fn(u64) -> String,
) -> ws_reliable::Result<()> {
    let mut writer = session.open_stream(id);
    for k in 0..chunks.saturating_sub(1) {
        writer.write(chunk(k)).await?;
        tokio::time::sleep(pace).await;
    }
    let last = chunks.checked_sub(1).map(&chunk).unwrap_or_default();
    writer.finish(last).await?;
    Ok(())
}

/// The `/stream N` demo: `N` tokens, 20 ms apart, concurrent with the session's other traffic.
async fn token_stream(session: Session, id: String, n: u64) {
    let pace = Duration::from_millis(20);
    if let Err(e) = write_stream(&session, id, n, pace, |k| format!("token {k} ")).await {
        tracing::info!(session = %session.id(), error = %e, "stream ended early");
    }
}

async fn relay(session: Session, rooms: Rooms) -> ws_reliable::Result<()> {
    tracing::info!(session = %session.id(), subject = %session.subject(), "session started");
    let outcome = relay_loop(&session, &rooms).await;
    rooms.leave_all(session.id());
    tracing::info!(session = %session.id(), ?outcome, "session ended");
    outcome
}

async fn relay_loop(session: &Session, rooms: &Rooms) -> ws_reliable::Result<()> {
    let mut streams = 0u64;
    while let Some(message) = session.recv().await? {
        match message.text().map_or(Command::Echo, Command::parse) {
            Command::Join(room) => {
                rooms.join(room, session);
                session.send(format!("joined {room}")).await?;
            }
            Command::Say(room, text) => rooms.say(room, text).await,
            Command::Stream(n) => {
                streams += 1;
                let id = format!("{}-{streams}", session.id());
                tokio::spawn(token_stream(session.clone(), id, n));
            }
            Command::Echo => {
                session.send(message.payload).await?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Command;

    #[track_caller]
    fn check(text: &str, expected: Command<'_>) {
        assert_eq!(Command::parse(text), expected, "{text:?}");
    }

    #[test]
    fn parses_commands_and_echoes_the_rest() {
        check("/join lobby", Command::Join("lobby"));
        check("/say lobby hello there", Command::Say("lobby", "hello there"));
        check("/stream 5", Command::Stream(5));
        check("/stream five", Command::Echo);
        check("/join", Command::Echo);
        check("/join a b", Command::Echo);
        check("/say lobby", Command::Echo);
        check("hello", Command::Echo);
    }
}
