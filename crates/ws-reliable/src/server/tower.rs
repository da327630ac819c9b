//! The server as a [`tower_service::Service`], to mount in an application's own HTTP server
//! (axum's `Router::route_service` / `nest_service`, or hyper with
//! `hyper_util::service::TowerToHyperService`).
//!
//! The service answers the reliable WebSocket path (`ServerConfig::path`), the health route
//! and the metrics route, exactly as the standalone listener does (which serves every
//! connection through this same code), and 404 for anything else. The application keeps
//! its listener, middleware, TLS and shutdown.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use ::http::Request;

use crate::server::http::{self, HttpResponse};
use crate::server::state::{Counted, ServerState};

/// The reliable endpoint, health and metrics as a `tower::Service<Request<B>>` for any body
/// type (requests are answered from their head; the body is never read).
///
/// Get it from [`crate::ServerHandle::service`]. A request upgraded through it must come
/// from a server that supports HTTP/1.1 upgrades (hyper with `with_upgrades()`, axum's
/// `serve`). To authenticate with the application's own middleware, insert a
/// [`crate::auth::Principal`] in the request's extensions and build the server with
/// [`crate::auth::FromExtensions`].
#[derive(Clone)]
pub struct ReliableService {
    state: Arc<ServerState>,
    /// The standalone listener counts the TCP connection from accept; mounted, each upgrade
    /// is counted on its own.
    counted: Option<Arc<Counted>>,
}

impl std::fmt::Debug for ReliableService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReliableService").field("path", &self.state.config.path).finish()
    }
}

impl ReliableService {
    pub(crate) fn new(state: Arc<ServerState>) -> Self {
        Self { state, counted: None }
    }

    pub(crate) fn for_connection(state: Arc<ServerState>, counted: Arc<Counted>) -> Self {
        Self { state, counted: Some(counted) }
    }

    /// Answers `req`; never fails (errors are HTTP responses).
    pub(crate) fn respond<B: Send + 'static>(
        &self,
        req: Request<B>,
    ) -> impl Future<Output = Result<HttpResponse, Infallible>> + Send + use<B> {
        let (state, counted) = (Arc::clone(&self.state), self.counted.clone());
        async move { Ok(http::route(req, state, counted).await) }
    }
}

impl<B: Send + 'static> tower_service::Service<Request<B>> for ReliableService {
    type Response = HttpResponse;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        Box::pin(self.respond(req))
    }
}
