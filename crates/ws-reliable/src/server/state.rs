//! What every task of one server shares.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;

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

/// Counts one TCP connection for as long as any part of it (the HTTP side, the upgraded
/// socket waiting for `Hello`, the session's connection) is alive.
pub(crate) struct Counted(Arc<AtomicUsize>);

impl Counted {
    pub(crate) fn new(count: &Arc<AtomicUsize>) -> Arc<Self> {
        count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Arc::new(Self(Arc::clone(count)))
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// An authenticated, upgraded connection on its way to a session.
pub(crate) struct Upgraded {
    pub(crate) principal: crate::auth::Principal,
    pub(crate) codec: crate::codec::Codec,
    pub(crate) counted: Arc<Counted>,
}

/// Shared by the accept loop, the HTTP routes and every session task.
pub(crate) struct ServerState {
    pub(crate) config: ServerConfig,
    pub(crate) auth: Arc<dyn Authenticator>,
    pub(crate) store: Arc<dyn crate::store::SessionStore>,
    pub(crate) sessions: Sessions<BoxIo>,
    pub(crate) handler: Handler,
    pub(crate) shutdown: watch::Sender<bool>,
    pub(crate) connections: Arc<AtomicUsize>,
    pub(crate) dedup: Option<Arc<dedup::ShardedWindow>>,
    pub(crate) hub: Arc<crate::sync::StateHub>,
    pub(crate) metrics: Option<ws_metrics::Metrics>,
    pub(crate) health: crate::server::health::HealthSlot,
}
