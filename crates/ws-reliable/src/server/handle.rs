//! [`ServerHandle`]: controls a running server, standalone or mounted.

use std::future::Future;
use std::sync::Arc;

use crate::server::state::{Counted, ServerState};
use crate::server::tower::ReliableService;

/// Controls a running server.
#[derive(Clone)]
pub struct ServerHandle {
    pub(crate) state: Arc<ServerState>,
}

impl ServerHandle {
    pub(crate) fn new(state: Arc<ServerState>) -> Self {
        Self { state }
    }

    /// Stops accepting and disconnects every connection with "going away" (after a final
    /// ack). Sessions stay resumable until their resume window ends.
    pub fn shutdown(&self) {
        self.state.shutdown.send_replace(true);
    }

    /// Waits for `signal`, then shuts the server down: hand it to the application server's
    /// graceful shutdown (`axum::serve(..).with_graceful_shutdown(handle.shutdown_on(signal))`)
    /// so that one signal stops both.
    pub fn shutdown_on(
        &self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> impl Future<Output = ()> + Send + 'static {
        let handle = self.clone();
        async move {
            signal.await;
            handle.shutdown();
        }
    }

    /// Resolves once [`ServerHandle::shutdown`] was called.
    pub async fn stopped(&self) {
        let mut rx = self.state.shutdown.subscribe();
        let _ = rx.wait_for(|down| *down).await;
    }

    /// Resolves once no connection is open (after a shutdown: every connection has sent its
    /// final ack and close frame, or timed out doing so).
    pub async fn closed(&self) {
        self.state.connections.drained().await;
    }

    /// Live sessions (attached or waiting for a resume).
    pub fn sessions(&self) -> usize {
        self.state.sessions.len()
    }

    /// The memory budget: bytes held in flight now and the limit
    /// ([`crate::ServerConfig::memory_budget`]).
    pub fn memory_budget(&self) -> (usize, usize) {
        let figures = self.state.budget.figures();
        (figures.used, figures.limit)
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
    ) -> crate::Result<u64> {
        let update = self.state.hub.update(subject, None, expected, patch);
        update.map_err(|c| crate::Error::Conflict { expected: c.expected, current: c.current })
    }

    /// Open connections: standalone, TCP connections from accept; mounted, upgraded
    /// WebSockets.
    pub fn connections(&self) -> usize {
        self.state.connections.get()
    }

    /// The reliable endpoint, health and metrics routes as a `tower::Service`, to mount in
    /// an application's HTTP server.
    pub fn service(&self) -> ReliableService {
        ReliableService::new(Arc::clone(&self.state))
    }

    /// Serves an already-accepted connection (HTTP and upgrade), for callers that run their
    /// own accept loop (and, say, their own TLS). Set `TCP_NODELAY` on a TCP stream first
    /// (the standalone listener does): acks and small messages should not wait for Nagle.
    pub fn serve_connection(&self, io: impl crate::Io) {
        let state = Arc::clone(&self.state);
        let counted = Counted::new(&state.connections);
        tokio::spawn(crate::server::http::serve_io(io, state, counted));
    }
}
