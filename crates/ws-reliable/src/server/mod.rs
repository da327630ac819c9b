//! The server: runs one handler per session, behind its own listener ([`ServerBuilder::bind`])
//! or mounted in an application's HTTP server ([`ServerBuilder::start`], then
//! [`ServerHandle::service`] or, with the `axum` feature, [`ServerHandle::router`]). Both
//! ways serve every request through the same [`ReliableService`].

mod accept;
#[cfg(feature = "axum")]
mod axum;
pub(crate) mod budget;
mod config;
mod conns;
mod control;
mod durable;
mod handle;
mod health;
mod http;
mod listen;
mod persist;
mod sessions;
mod state;
mod task;
mod tower;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::sync::watch;

pub use config::{MetricsRender, ServerConfig, StaticAsset, StaticRoute};
pub use handle::ServerHandle;
pub use state::Io;
pub use tower::ReliableService;

use crate::auth::{AllowAll, Authenticator};
use crate::error::Result;
use crate::session::Session;
use crate::store::{MemoryStore, SessionStore};
use crate::sync::StateHub;
use sessions::Sessions;
use state::{Handler, ServerState};

/// Builds a [`Server`] (own listener) or a mounted server ([`ServerBuilder::start`]).
pub struct ServerBuilder {
    config: ServerConfig,
    auth: Arc<dyn Authenticator>,
    store: Arc<dyn SessionStore>,
    #[cfg(feature = "tls")]
    tls: Option<Arc<rustls::ServerConfig>>,
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

    /// Serves TLS on the listener [`ServerBuilder::bind`] opens (default: plain TCP). See
    /// [`crate::tls::server_config`]. A mounted server leaves TLS to the application.
    #[cfg(feature = "tls")]
    pub fn tls(mut self, config: Arc<rustls::ServerConfig>) -> Self {
        self.tls = Some(config);
        self
    }

    /// Binds the listener. Use port 0 for an ephemeral port.
    pub async fn bind(self, addr: impl ToSocketAddrs) -> Result<Server> {
        let parts = self.parts()?;
        let listener = TcpListener::bind(addr).await?;
        Ok(Server { listener, builder: self, parts })
    }

    /// Starts the server without a listener of its own, to mount in an application's HTTP
    /// server through [`ServerHandle::service`] (or [`ServerHandle::router`] with the `axum`
    /// feature); `handler` runs once per session.
    pub fn start<F, Fut>(self, handler: F) -> Result<ServerHandle>
    where
        F: Fn(Session) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<()>> + Send + 'static,
    {
        let parts = self.parts()?;
        let handler: Handler = Arc::new(move |session| Box::pin(handler(session)));
        Ok(ServerHandle::new(self.state(parts, handler)))
    }

    /// Checks the configuration and builds what can fail.
    fn parts(&self) -> Result<Parts> {
        self.config.validate()?;
        let dedup = crate::common::dedup_window(self.config.dedup.as_ref())?;
        let registry = conns::Connections::new(&self.config.session)?;
        let metrics = self.config.metrics.then(ws_metrics::Metrics::new);
        let (limit, headroom) = (self.config.budget_limit(), self.config.max_message_size);
        let budget = budget::Budget::new(limit, headroom, metrics.clone());
        Ok(Parts { dedup, registry, metrics, budget })
    }

    /// The state every task of the server shares, with its background tasks started (health
    /// checks, the connection sweeper).
    fn state(self, parts: Parts, handler: Handler) -> Arc<ServerState> {
        let Parts { dedup, registry, metrics, budget } = parts;
        let state = Arc::new(ServerState {
            budget,
            sessions: Sessions::new(self.config.max_sessions),
            hub: Arc::new(StateHub::new(self.config.state_history)),
            config: self.config,
            auth: self.auth,
            store: self.store,
            handler,
            shutdown: watch::Sender::new(false),
            connections: Arc::default(),
            registry,
            dedup,
            metrics,
            health: health::HealthSlot::new(),
        });
        health::install(&state);
        let mut down = state.shutdown.subscribe();
        let stop = async move {
            let _ = down.wait_for(|down| *down).await;
        };
        if let Err(e) = state.registry.start_sweeper(state.metrics.clone(), stop) {
            tracing::warn!(error = %e, "connection sweeper not started");
        }
        state
    }
}

/// What [`ServerBuilder::bind`] or [`ServerBuilder::start`] built from the configuration.
struct Parts {
    dedup: Option<Arc<dedup::ShardedWindow>>,
    registry: Arc<conns::Connections>,
    metrics: Option<ws_metrics::Metrics>,
    budget: Arc<budget::Budget>,
}

/// A bound server, ready to [`Server::start`] or [`Server::serve`].
pub struct Server {
    listener: TcpListener,
    builder: ServerBuilder,
    parts: Parts,
}

impl Server {
    /// A builder with the defaults.
    pub fn builder() -> ServerBuilder {
        let store = Arc::new(MemoryStore::default());
        ServerBuilder {
            config: ServerConfig::default(),
            auth: Arc::new(AllowAll),
            store,
            #[cfg(feature = "tls")]
            tls: None,
        }
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
        #[cfg(feature = "tls")]
        let tls = self.builder.tls.clone();
        #[cfg(not(feature = "tls"))]
        let tls = None;
        let handler: Handler = Arc::new(move |session| Box::pin(handler(session)));
        let state = self.builder.state(self.parts, handler);
        tokio::spawn(listen::accept_loop(self.listener, Arc::clone(&state), tls));
        ServerHandle::new(state)
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
