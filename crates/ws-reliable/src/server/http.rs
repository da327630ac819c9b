//! The HTTP side of the server: the WebSocket upgrade (origin check, authentication,
//! subprotocol choice), the health and metrics routes, on hyper. One code path for both ways
//! to run: the standalone listener serves each connection with hyper and [`route`]; an
//! application mounts the same [`route`] through [`ReliableService`].

use std::sync::Arc;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

use crate::auth::{Credentials, Principal};
use crate::codec::Codec;
use crate::server::budget::gate::{Account, Gated};
use crate::server::state::{BoxIo, Counted, Io, ServerState, Upgraded};
use crate::server::tower::ReliableService;
use crate::server::{accept, health};

/// An HTTP response with a small in-memory body.
pub(crate) type HttpResponse = Response<Full<Bytes>>;

/// Serves one connection (TCP, or TLS over TCP): HTTP/1.1 requests, one of which may
/// upgrade. Every request goes through [`ReliableService`], the same service an application
/// mounts in its own router.
pub(crate) async fn serve_io<I: Io>(io: I, state: Arc<ServerState>, counted: Arc<Counted>) {
    let timeout = state.config.handshake_timeout;
    let service = ReliableService::for_connection(state, counted);
    let service = service_fn(move |req: Request<Incoming>| service.respond(req));
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(timeout)
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    if let Err(e) = connection.await {
        tracing::debug!(error = %e, "http connection ended with an error");
    }
}

/// Answers one request: the upgrade path, health, metrics, else 404.
pub(crate) async fn route<B>(
    req: Request<B>,
    state: Arc<ServerState>,
    counted: Option<Arc<Counted>>,
) -> HttpResponse {
    let path = req.uri().path();
    match *req.method() {
        Method::GET if path == state.config.path => upgrade(req, state, counted).await,
        Method::GET if path == "/health/websocket" && state.config.health => {
            health::respond(&state)
        }
        Method::GET if path == "/metrics" => health::metrics(&state),
        Method::GET => match state.config.static_route.as_ref().and_then(|find| find(path)) {
            Some(asset) => static_asset(asset),
            None => text(StatusCode::NOT_FOUND, "not found"),
        },
        _ => text(StatusCode::NOT_FOUND, "not found"),
    }
}

async fn upgrade<B>(
    mut req: Request<B>,
    state: Arc<ServerState>,
    counted: Option<Arc<Counted>>,
) -> HttpResponse {
    let Some(key) = websocket_key(&req) else {
        return text(StatusCode::BAD_REQUEST, "expected a WebSocket upgrade");
    };
    let counted = match count(counted, &state) {
        Some(counted) => counted,
        None => return text(StatusCode::SERVICE_UNAVAILABLE, "connection limit reached"),
    };
    let origin = header_str(&req, header::ORIGIN).map(str::to_owned);
    if !origin_allowed(&state.config.allowed_origins, origin.as_deref()) {
        return text(StatusCode::FORBIDDEN, "origin not allowed");
    }
    let offered = offered_protocols(&req);
    let principal = req.extensions().get::<Principal>().cloned();
    let credentials = Credentials { token: token(&req, &offered), origin, principal };
    let principal = match state.auth.authenticate(&credentials).await {
        Ok(principal) => principal,
        Err(e) => return refused(&e),
    };
    let codec = offered.iter().find_map(|p| Codec::from_subprotocol(p));
    let on_upgrade = hyper::upgrade::on(&mut req);
    let upgraded =
        Upgraded { principal, codec: codec.unwrap_or(Codec::Json), counted, account: None };
    tokio::spawn(finish_upgrade(on_upgrade, upgraded, state));
    switching_protocols(&key, codec)
}

fn refused(e: &crate::auth::AuthError) -> HttpResponse {
    text(StatusCode::from_u16(e.status).unwrap_or(StatusCode::UNAUTHORIZED), &e.reason)
}

/// Mounted in another server, a connection is counted (and limited) from its upgrade;
/// `None` over `max_connections`.
fn count(counted: Option<Arc<Counted>>, state: &ServerState) -> Option<Arc<Counted>> {
    match counted {
        Some(counted) => Some(counted),
        None if state.connections.get() >= state.config.max_connections => None,
        None => Some(Counted::new(&state.connections)),
    }
}

/// Once hyper hands over the upgraded connection: the WebSocket, then the session.
async fn finish_upgrade(on_upgrade: OnUpgrade, mut upgraded: Upgraded, state: Arc<ServerState>) {
    let Ok(io) = on_upgrade.await else { return };
    let account = Account::new(&state.budget);
    upgraded.account = Some(Arc::clone(&account));
    let io: BoxIo = Box::new(Gated::new(TokioIo::new(io), account, state.config.max_message_size));
    let config = state.config.websocket();
    let ws = WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await;
    accept::accept(ws, upgraded, state).await;
}

fn switching_protocols(key: &str, codec: Option<Codec>) -> HttpResponse {
    let mut response = Response::new(Full::default());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(accept) = HeaderValue::from_str(&derive_accept_key(key.as_bytes())) {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    }
    if let Some(codec) = codec {
        headers
            .insert(header::SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static(codec.subprotocol()));
    }
    response
}

fn websocket_key<B>(req: &Request<B>) -> Option<String> {
    let upgrade = header_str(req, header::UPGRADE)?;
    if !upgrade.eq_ignore_ascii_case("websocket") {
        return None;
    }
    header_str(req, header::SEC_WEBSOCKET_KEY).map(str::to_owned)
}

/// No allowlist, or no `Origin` (not a browser), or an exact match.
pub(crate) fn origin_allowed(allowed: &[String], origin: Option<&str>) -> bool {
    match origin {
        None => true,
        Some(origin) => {
            allowed.is_empty() || allowed.iter().any(|a| a.eq_ignore_ascii_case(origin))
        }
    }
}

fn offered_protocols<B>(req: &Request<B>) -> Vec<String> {
    req.headers()
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|p| p.trim().to_owned())
        .collect()
}

/// The bearer token: `Authorization` header, else `access_token` query, else subprotocol.
fn token<B>(req: &Request<B>, offered: &[String]) -> Option<String> {
    let header = header_str(req, header::AUTHORIZATION).and_then(|v| v.strip_prefix("Bearer "));
    let query = req.uri().query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "access_token")
            .map(|(_, v)| v.into_owned())
    });
    let protocol = offered.iter().find_map(|p| p.strip_prefix("bearer.")).map(str::to_owned);
    header.map(str::to_owned).or(query).or(protocol)
}

fn header_str<B>(req: &Request<B>, name: header::HeaderName) -> Option<&str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// A plain-text response.
pub(crate) fn text(status: StatusCode, body: &str) -> HttpResponse {
    let mut response = Response::new(Full::new(Bytes::from(body.to_owned())));
    *response.status_mut() = status;
    let kind = HeaderValue::from_static("text/plain; charset=utf-8");
    response.headers_mut().insert(header::CONTENT_TYPE, kind);
    response
}

fn static_asset(asset: crate::server::StaticAsset) -> HttpResponse {
    let mut response = Response::new(Full::new(Bytes::from_static(asset.body)));
    let kind = HeaderValue::from_static(asset.content_type);
    response.headers_mut().insert(header::CONTENT_TYPE, kind);
    response
}
