//! The standalone listener: accepts TCP connections (and their TLS handshake, when
//! configured) and serves each through the same HTTP path a mounted server uses.

use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};

use crate::server::http;
use crate::server::state::{Counted, ServerState};

/// The TLS settings of the listener (a placeholder type without the `tls` feature).
#[cfg(feature = "tls")]
pub(crate) type Tls = Option<Arc<rustls::ServerConfig>>;
/// The TLS settings of the listener (a placeholder type without the `tls` feature).
#[cfg(not(feature = "tls"))]
pub(crate) type Tls = Option<std::convert::Infallible>;

/// Accepts until shutdown; over `max_connections`, a connection is dropped at once.
pub(crate) async fn accept_loop(listener: TcpListener, state: Arc<ServerState>, tls: Tls) {
    let mut shutdown = state.shutdown.subscribe();
    loop {
        let tcp = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.wait_for(|down| *down) => return,
        };
        match tcp {
            Ok((tcp, _)) if state.connections.get() < state.config.max_connections => {
                let counted = Counted::new(&state.connections);
                tokio::spawn(serve(tcp, Arc::clone(&state), counted, tls.clone()));
            }
            Ok(_) => tracing::warn!("connection limit reached; refusing"),
            Err(e) => tracing::warn!(error = %e, "accept failed"),
        }
    }
}

/// Serves one accepted connection, over TLS when configured.
async fn serve(tcp: TcpStream, state: Arc<ServerState>, counted: Arc<Counted>, tls: Tls) {
    let _ = tcp.set_nodelay(true);
    match tls {
        None => http::serve_io(tcp, state, counted).await,
        #[cfg(feature = "tls")]
        Some(config) => {
            let timeout = state.config.handshake_timeout;
            let acceptor = tokio_rustls::TlsAcceptor::from(config);
            match tokio::time::timeout(timeout, acceptor.accept(tcp)).await {
                Ok(Ok(stream)) => http::serve_io(stream, state, counted).await,
                Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!("TLS handshake timed out"),
            }
        }
        #[cfg(not(feature = "tls"))]
        Some(never) => match never {},
    }
}
