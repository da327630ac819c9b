//! The server: accepts TCP connections, upgrades them, and runs one handler per session.

mod accept;
mod config;
mod control;
mod health;
mod http;
mod sessions;
mod state;
mod task;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::sync::watch;

pub use config::{MetricsRender, ServerConfig, StaticAsset, StaticRoute};
pub(crate) use config::{check_message_size, websocket_config};
pub use state::Io;

use crate::auth::{AllowAll, Authenticator};
use crate::error::Result;
use crate::session::Session;
use crate::store::{MemoryStore, SessionStore};
use crate::sync::StateHub;
use sessions::Sessions;
use state::{Handler, ServerState};

/// Builds a [`Server`].
pub struct ServerBuilder {
    config: ServerConfig,
    auth: Arc<dyn Authenticator>,
    store: Arc<dyn SessionStore>,
}

impl ServerBuilder {
    /// Sets the configuration (default: [`ServerConfig::default`]).
    pub fn config(mut self, config: ServerConfig) -> Self {
        self.config = config;
        self
    }

    /// Sets the authenticator (default: [`AllowAll`]).
    pub fn auth(mut self, auth: impl Authenticator) -> Self {
        self.auth = Arc::new(auth);
        self
    }

    /// Sets the session store (default: [`MemoryStore`]).
    pub fn store(mut self, store: impl SessionStore) -> Self {
        self.store = Arc::new(store);
        self
    }

    /// Binds the listener. Use port 0 for an ephemeral port.
    pub async fn bind(self, addr: impl ToSocketAddrs) -> Result<Server> {
        self.config.validate()?;
        let dedup = crate::client::dedup_window(self.config.dedup.as_ref())?;
        let listener = TcpListener::bind(addr).await?;
        Ok(Server { listener, config: self.config, auth: self.auth, store: self.store, dedup })
    }
}

/// A bound server, ready to [`Server::serve`].
pub struct Server {
    listener: TcpListener,
    config: ServerConfig,
    auth: Arc<dyn Authenticator>,
    dedup: Option<Arc<dedup::ShardedWindow>>,
    store: Arc<dyn SessionStore>,
}

/// Controls a running server.
#[derive(Clone)]
pub struct ServerHandle {
    state: Arc<ServerState>,
}

impl Server {
    /// A builder with the defaults.
    pub fn builder() -> ServerBuilder {
        let store = Arc::new(MemoryStore::default());
        ServerBuilder { config: ServerConfig::default(), auth: Arc::new(AllowAll), store }
    }

    /// The bound address.
    pub fn local_addr(&self) -> Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// Starts serving in the background; `handler` runs once per session.
    pub fn start<F, Fut>(self, handler: F) -> ServerHandle
    where
        F: Fn(Session) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<()>> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |session| Box::pin(handler(session)));
        let metrics = self.config.metrics.then(ws_metrics::Metrics::new);
        let hub = Arc::new(StateHub::new(self.config.state_history));
        let state = Arc::new(ServerState {
            sessions: Sessions::new(self.config.max_sessions),
            config: self.config,
            auth: self.auth,
            store: self.store,
            handler,
            shutdown: watch::Sender::new(false),
            connections: Arc::new(AtomicUsize::new(0)),
            dedup: self.dedup,
            hub,
            metrics,
            health: health::HealthSlot::new(),
        });
        health::install(&state);
        tokio::spawn(accept_loop(self.listener, Arc::clone(&state)));
        ServerHandle { state }
    }

    /// Serves until [`ServerHandle::shutdown`] (from a handle obtained elsewhere) or forever.
    pub async fn serve<F, Fut>(self, handler: F) -> Result<()>
    where
        F: Fn(Session) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<()>> + Send + 'static,
    {
        let handle = self.start(handler);
        handle.stopped().await;
        Ok(())
    }
}

impl ServerHandle {
    /// Stops accepting and disconnects every connection with "going away". Sessions stay
    /// resumable until their resume window ends.
    pub fn shutdown(&self) {
        self.state.shutdown.send_replace(true);
    }

    /// Resolves once [`ServerHandle::shutdown`] was called.
    pub async fn stopped(&self) {
        let mut rx = self.state.shutdown.subscribe();
        let _ = rx.wait_for(|down| *down).await;
    }

    /// Live sessions (attached or waiting for a resume).
    pub fn sessions(&self) -> usize {
        self.state.sessions.len()
    }

    /// The shared-state document of `subject`, with its version.
    pub fn state(&self, subject: &str) -> (u64, serde_json::Value) {
        self.state.hub.read(subject)
    }

    /// Applies a JSON merge patch to `subject`'s document at version `expected` and sends
    /// it to every session of the subject; [`crate::Error::Conflict`] if the version is stale.
    pub fn update_state(
        &self,
        subject: &str,
        expected: u64,
        patch: serde_json::Value,
    ) -> Result<u64> {
        let update = self.state.hub.update(subject, None, expected, patch);
        update.map_err(|c| crate::Error::Conflict { expected: c.expected, current: c.current })
    }

    /// Open TCP connections.
    pub fn connections(&self) -> usize {
        self.state.connections.load(Ordering::Relaxed)
    }

    /// Serves an already-accepted TCP connection (HTTP and upgrade), for callers that run
    /// their own accept loop.
    pub fn serve_connection(&self, tcp: tokio::net::TcpStream) {
        tokio::spawn(serve_counted(tcp, Arc::clone(&self.state)));
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<ServerState>) {
    let mut shutdown = state.shutdown.subscribe();
    loop {
        let tcp = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.wait_for(|down| *down) => return,
        };
        match tcp {
            Ok((tcp, _))
                if state.connections.load(Ordering::Relaxed) < state.config.max_connections =>
            {
                tokio::spawn(serve_counted(tcp, Arc::clone(&state)));
            }
            Ok(_) => tracing::warn!("connection limit reached; refusing"),
            Err(e) => tracing::warn!(error = %e, "accept failed"),
        }
    }
}

async fn serve_counted(tcp: tokio::net::TcpStream, state: Arc<ServerState>) {
    let counted = state::Counted::new(&state.connections);
    http::serve_tcp(tcp, state, counted).await;
}
