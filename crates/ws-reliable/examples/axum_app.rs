//! An ordinary axum app with the reliable WebSocket endpoint mounted beside its REST routes,
//! on the app's own listener, behind the app's own auth middleware, stopped by the app's own
//! graceful shutdown.
//!
//! ```sh
//! cargo run -p ws-reliable --features axum --example axum_app
//! curl -H 'Authorization: Bearer alice' http://127.0.0.1:3000/api/whoami
//! cargo run -p wsr -- client 'ws://127.0.0.1:3000/ws?access_token=alice'
//! ```
//!
//! - `GET /api/whoami` (REST): the subject the middleware found, and how many reliable
//!   sessions are live (the app's state holds the reliable server's handle);
//! - `GET /ws`: the reliable endpoint; each text message comes back as `subject: text`;
//! - `GET /health/websocket`, `GET /metrics`: the reliable server's health and metrics.
//!
//! The auth middleware is a stand-in for the app's real one: it takes the bearer token (header
//! or `access_token` query parameter) as the user name. It inserts a `Principal` in the
//! request's extensions; the REST route extracts it, and the reliable server, built with
//! `auth::FromExtensions`, trusts it (no principal: 401).

use std::net::SocketAddr;

use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use ws_reliable::auth::{FromExtensions, Principal};
use ws_reliable::{Server, ServerHandle, Session};

/// What the app's handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The reliable server, for figures and shutdown.
    pub reliable: ServerHandle,
}

/// The app: its REST route, the reliable routes merged in, its middleware over all of them.
pub fn app() -> ws_reliable::Result<(Router, ServerHandle)> {
    let reliable = Server::builder().auth(FromExtensions).start(echo)?;
    let state = AppState { reliable: reliable.clone() };
    let router = Router::new()
        .route("/api/whoami", get(whoami))
        .merge(reliable.router())
        .layer(middleware::from_fn(authenticate))
        .with_state(state);
    Ok((router, reliable))
}

/// Serves the app on `listener` until `signal`, then lets the reliable connections close
/// (each gets its final ack and a 1001 close; sessions stay resumable meanwhile).
pub async fn serve(
    listener: tokio::net::TcpListener,
    signal: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (router, reliable) = app().map_err(std::io::Error::other)?;
    axum::serve(listener, router).with_graceful_shutdown(reliable.shutdown_on(signal)).await?;
    reliable.closed().await;
    Ok(())
}

async fn whoami(State(state): State<AppState>, principal: Option<Extension<Principal>>) -> String {
    let who = principal.map_or_else(|| "nobody".to_owned(), |p| p.0.subject);
    format!("{who}; {} reliable sessions", state.reliable.sessions())
}

/// The app's own authentication: here, the bearer token is the user name.
async fn authenticate(mut request: Request, next: Next) -> Response {
    let header = request.headers().get("authorization").and_then(|v| v.to_str().ok());
    let bearer = header.and_then(|v| v.strip_prefix("Bearer ")).map(str::to_owned);
    let query = request.uri().query().and_then(|q| {
        q.split('&').find_map(|pair| pair.strip_prefix("access_token=")).map(str::to_owned)
    });
    if let Some(user) = bearer.or(query).filter(|user| !user.is_empty()) {
        request.extensions_mut().insert(Principal::new(user));
    }
    next.run(request).await
}

/// One reliable session: every text comes back prefixed with the subject.
async fn echo(session: Session) -> ws_reliable::Result<()> {
    while let Some(message) = session.recv().await? {
        let reply = format!("{}: {}", session.subject(), message.text().unwrap_or_default());
        session.send(reply).await?;
    }
    Ok(())
}

#[allow(clippy::print_stdout)]
#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = SocketAddr::from(([127, 0, 0, 1], 3000));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("listening on http://{addr} (REST /api/whoami, reliable ws://{addr}/ws)");
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    serve(listener, ctrl_c).await
}
