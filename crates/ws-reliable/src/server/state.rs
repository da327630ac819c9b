//! What every task of one server shares.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{Notify, watch};

use crate::auth::Authenticator;
use crate::error::Result;
use crate::server::ServerConfig;
use crate::server::sessions::Sessions;
use crate::session::Session;

/// Any byte stream a WebSocket can run over (a hyper upgrade, a TCP stream, a test duplex).
pub trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

/// A boxed [`Io`].
pub(crate) type BoxIo = Box<dyn Io>;

/// A boxed session handler future.
pub(crate) type HandlerFuture = Pin<Box<dyn Future<Output = Result<()>> + Send>>;

/// The application's session handler, type-erased.
pub(crate) type Handler = Arc<dyn Fn(Session) -> HandlerFuture + Send + Sync>;

/// The open-connection count, with a wake-up when it drops to zero (for
/// [`crate::ServerHandle::closed`]).
#[derive(Debug, Default)]
pub(crate) struct OpenCount {
    open: AtomicUsize,
    drained: Notify,
}

impl OpenCount {
    /// Connections open now.
    pub(crate) fn get(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// Resolves once no connection is open.
    pub(crate) async fn drained(&self) {
        loop {
            let notified = self.drained.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.get() == 0 {
                return;
            }
            notified.await;
        }
    }
}

/// Counts one connection for as long as any part of it (the HTTP side, the upgraded socket
/// waiting for `Hello`, the session's connection) is alive. Standalone, that is every TCP
/// connection from accept; mounted in another server, every upgraded WebSocket.
pub(crate) struct Counted(Arc<OpenCount>);

impl Counted {
    pub(crate) fn new(count: &Arc<OpenCount>) -> Arc<Self> {
        count.open.fetch_add(1, Ordering::Relaxed);
        Arc::new(Self(Arc::clone(count)))
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        if self.0.open.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.drained.notify_waiters();
        }
    }
}

/// An authenticated, upgraded connection on its way to a session.
pub(crate) struct Upgraded {
    pub(crate) principal: crate::auth::Principal,
    pub(crate) codec: crate::codec::Codec,
    pub(crate) counted: Arc<Counted>,
    /// The connection's reservations on the memory budget (set once the socket is wrapped).
    pub(crate) account: Option<Arc<crate::server::budget::gate::Account>>,
}

/// Shared by the accept loop, the HTTP routes and every session task.
pub(crate) struct ServerState {
    pub(crate) config: ServerConfig,
    pub(crate) auth: Arc<dyn Authenticator>,
    pub(crate) store: Arc<dyn crate::store::SessionStore>,
    pub(crate) sessions: Sessions<BoxIo>,
    pub(crate) handler: Handler,
    pub(crate) shutdown: watch::Sender<bool>,
    pub(crate) connections: Arc<OpenCount>,
    /// Every WebSocket carrying (or about to carry) a session, on `conn-state`.
    pub(crate) registry: Arc<crate::server::conns::Connections>,
    pub(crate) dedup: Option<Arc<dedup::ShardedWindow>>,
    pub(crate) hub: Arc<crate::sync::StateHub>,
    pub(crate) metrics: Option<ws_metrics::Metrics>,
    pub(crate) health: crate::server::health::HealthSlot,
    /// Bytes held in flight, server-wide.
    pub(crate) budget: Arc<crate::server::budget::Budget>,
}
