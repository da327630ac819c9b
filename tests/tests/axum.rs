//! The reliable endpoint mounted in an axum app (the `axum_app` example itself, included
//! below), over loopback: the app's REST route and the reliable endpoint share one listener,
//! the app's middleware authenticates both, and the app's graceful shutdown stops both.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;

use tokio::sync::oneshot;
use ws_reliable::{Client, Error};

#[allow(dead_code)]
mod support;

use support::{bounded, fast_reconnect, http_get, url};

#[allow(dead_code, unreachable_pub)]
#[path = "../../crates/ws-reliable/examples/axum_app.rs"]
mod axum_app;

/// The example app on 127.0.0.1:0, until the returned sender fires (or is dropped).
async fn start() -> (SocketAddr, oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let signal = async move {
        let _ = stopped.await;
    };
    let served = tokio::spawn(async move { axum_app::serve(listener, signal).await.unwrap() });
    (addr, stop, served)
}

async fn client_as(addr: SocketAddr, user: &'static str) -> ws_reliable::Result<Client> {
    let builder = Client::builder().config(fast_reconnect());
    builder.token_provider(move || async move { Some(user.to_owned()) }).connect(url(addr)).await
}

#[tokio::test]
async fn rest_and_reliable_routes_share_the_app_listener_and_its_auth() {
    let (addr, _stop, _served) = start().await;
    let client = bounded(10, client_as(addr, "alice")).await.unwrap();
    bounded(10, async {
        client.send("hi").await.unwrap();
        let reply = client.recv().await.unwrap().unwrap();
        assert_eq!(reply.text(), Some("alice: hi"), "the subject came from the app's middleware");
    })
    .await;
    let (status, body) = bounded(10, http_get(addr, "/api/whoami?access_token=bob")).await;
    assert_eq!((status, body.as_str()), (200, "bob; 1 reliable sessions"));
    let (status, _) = bounded(10, http_get(addr, "/health/websocket")).await;
    assert!(status == 200 || status == 503, "the health route is mounted: {status}");
    let (status, _) = bounded(10, http_get(addr, "/nowhere")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn without_the_apps_principal_the_upgrade_is_refused() {
    let (addr, _stop, _served) = start().await;
    let outcome = bounded(10, Client::builder().connect(url(addr))).await;
    assert!(
        matches!(outcome, Err(Error::Rejected { status: 401, .. })),
        "no principal from the middleware: 401, got {:?}",
        outcome.err()
    );
}

#[tokio::test]
async fn the_apps_graceful_shutdown_closes_the_reliable_connections() {
    let (addr, stop, served) = start().await;
    let client = bounded(10, client_as(addr, "carol")).await.unwrap();
    bounded(10, async {
        client.send("before shutdown").await.unwrap();
        client.recv().await.unwrap().unwrap();
        client.session().flush().await.unwrap();
    })
    .await;
    let mut state = client.state();
    stop.send(()).unwrap();
    // `serve` returns once axum stopped and every reliable connection has closed.
    bounded(10, served).await.unwrap();
    let dropped = state.wait_for(|s| !matches!(s, ws_reliable::ConnState::Connected));
    bounded(10, dropped).await.unwrap();
}
