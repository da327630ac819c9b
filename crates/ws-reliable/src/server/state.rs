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

/// Shared by the accept loop, the HTTP routes and every session task.
pub(crate) struct ServerState {
    pub(crate) config: ServerConfig,
    pub(crate) auth: Arc<dyn Authenticator>,
    pub(crate) sessions: Sessions<BoxIo>,
    pub(crate) handler: Handler,
    pub(crate) shutdown: watch::Sender<bool>,
    pub(crate) connections: AtomicUsize,
    pub(crate) dedup: Option<Arc<dedup::ShardedWindow>>,
    pub(crate) hub: Arc<crate::sync::StateHub>,
    pub(crate) metrics: Option<ws_metrics::Metrics>,
    pub(crate) health: crate::server::health::HealthSlot,
}
