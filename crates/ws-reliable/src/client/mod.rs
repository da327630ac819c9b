//! The client: one session over as many connections as it takes.

mod config;
mod connect;
mod control;
mod dialer;
mod task;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use ws_proto::{Payload, Seq, Session as Machine};

pub use config::ClientConfig;

use crate::common::dedup_window;
use crate::error::Result;
use crate::session::{Message, Session, SessionInfo};
use crate::shared::{Shared, now};
use crate::sync::{SharedState, StateCache};
use dialer::Dialer;
use parking_lot::Mutex;

/// Supplies a fresh credential at connect, reconnect and refresh; `None` connects without.
pub type TokenProvider =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Option<String>> + Send>> + Send + Sync>;

/// What the client's connection is doing.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnState {
    /// The first connection is being made.
    Connecting,
    /// A connection carries the session.
    Connected,
    /// The connection dropped; attempt `attempt` (from 0) starts after `delay`.
    Reconnecting {
        /// The attempt number, from 0.
        attempt: u32,
        /// The wait before it.
        delay: Duration,
    },
    /// Repeated failures opened the circuit breaker: no attempt before `until`.
    Suspended {
        /// When one trial attempt is let through.
        until: std::time::Instant,
    },
    /// The session is over; `reason` says why.
    Failed {
        /// Why.
        reason: String,
    },
    /// Closed by the application.
    Closed,
}

impl ConnState {
    /// Whether no further change will happen.
    pub fn is_final(&self) -> bool {
        matches!(self, ConnState::Failed { .. } | ConnState::Closed)
    }
}

/// Builds a [`Client`].
#[derive(Default)]
pub struct ClientBuilder {
    config: ClientConfig,
    tokens: Option<TokenProvider>,
}

impl ClientBuilder {
    /// Sets the configuration.
    pub fn config(mut self, config: ClientConfig) -> Self {
        self.config = config;
        self
    }

    /// Sets the token provider, called at every connect and when the server asks for a refresh.
    pub fn token_provider<F, Fut>(mut self, provider: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Option<String>> + Send + 'static,
    {
        self.tokens = Some(Arc::new(move || Box::pin(provider())));
        self
    }

    /// Connects and starts a session. Fails if this first connection fails (bad URL,
    /// rejected credentials); after that, the client reconnects by itself.
    pub async fn connect(self, url: impl Into<String>) -> Result<Client> {
        self.config.validate()?;
        let url = url.into();
        let token = match &self.tokens {
            Some(tokens) => tokens().await,
            None => None,
        };
        let (ws, welcome) = connect::connect(&url, &self.config, token.as_deref(), None).await?;
        let mut machine = Machine::new(self.config.session.clone(), now())?;
        machine.attach(welcome.last_received, now())?;
        let shared = Shared::new(machine);
        let info = SessionInfo { id: welcome.session.clone(), subject: String::new() };
        let session =
            Session::new(Arc::clone(&shared), info, dedup_window(self.config.dedup.as_ref())?);
        let (config, tokens, first) = (self.config, self.tokens, Mutex::new(Some(ws)));
        let dialer = Dialer { url, config, tokens, welcome, shared, first };
        Ok(Client::start(session, Arc::new(dialer)))
    }
}

impl Client {
    fn start(session: Session, dialer: Arc<Dialer>) -> Client {
        let (state_tx, state) = watch::channel(ConnState::Connected);
        let (stop_tx, stop) = watch::channel(false);
        let cache = StateCache::new(&dialer.shared);
        let ctx = task::Context { state: state_tx, stop, cache: Arc::clone(&cache) };
        let task = tokio::spawn(task::run(dialer, ctx));
        Client { session, state, stop: stop_tx, task, cache }
    }
}

/// A connected client. Dropping it stops reconnecting.
pub struct Client {
    session: Session,
    state: watch::Receiver<ConnState>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    cache: Arc<StateCache>,
}

impl Client {
    /// A builder with the defaults.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Sends a message: queued until the server acknowledges it, replayed after reconnects.
    /// Waits while the outbound buffer is full.
    pub async fn send(&self, payload: impl Into<Payload>) -> Result<Seq> {
        self.session.send(payload).await
    }

    /// Receives the next message, exactly once and in order across reconnects.
    pub async fn recv(&self) -> Result<Option<Message>> {
        self.session.recv().await
    }

    /// The session handle (streams, `try_send`, `flush`).
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The subject's shared document, kept current by the server (state sync).
    ///
    /// The first call subscribes the session to the document (the server answers with the
    /// state since the cached version); a client that never calls it exchanges no state.
    pub fn shared_state(&self) -> SharedState {
        self.cache.start();
        SharedState::new(Arc::clone(&self.cache))
    }

    /// The connection state, observable.
    pub fn state(&self) -> watch::Receiver<ConnState> {
        self.state.clone()
    }

    /// Closes the session on purpose after the server acknowledged everything sent.
    pub async fn close(mut self) -> Result<()> {
        let outcome = self.session.close().await;
        // The driver ends by itself once the session has ended.
        let _ = tokio::time::timeout(Duration::from_secs(5), &mut self.task).await;
        outcome
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}
