//! State sync over loopback: versions, conflicts, and catch-up across reconnects.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use serde_json::json;
use ws_reliable::{Client, Error, Server, ServerHandle};
use ws_reliable_tests::{Direction, Fault, Proxy};

async fn server() -> (ServerHandle, std::net::SocketAddr) {
    let server = Server::builder().bind("127.0.0.1:0").await.unwrap();
    let addr = server.local_addr().unwrap();
    let handle = server.start(|session| async move {
        while session.recv().await?.is_some() {}
        Ok(())
    });
    (handle, addr)
}

async fn wait_version(client: &Client, version: u64) -> serde_json::Value {
    let mut rx = client.shared_state().subscribe();
    let wait = rx.wait_for(|(v, _)| *v >= version);
    let doc = tokio::time::timeout(Duration::from_secs(5), wait).await.unwrap().unwrap();
    doc.1.clone()
}

#[tokio::test]
async fn a_stale_update_is_a_conflict_and_overwrites_nothing() {
    let (server, addr) = server().await;
    let url = format!("ws://{addr}/ws");
    let a = Client::builder().connect(url.clone()).await.unwrap();
    let b = Client::builder().connect(url).await.unwrap();
    assert_eq!(a.shared_state().update(0, json!({"count": 1})).await.unwrap(), 1);
    assert_eq!(wait_version(&b, 1).await, json!({"count": 1}));
    let stale = b.shared_state().update(0, json!({"count": 99})).await;
    assert!(matches!(stale, Err(Error::Conflict { expected: 0, current: 1 })), "{stale:?}");
    assert_eq!(server.state("anonymous"), (1, json!({"count": 1})));
    assert_eq!(b.shared_state().update(1, json!({"name": "b"})).await.unwrap(), 2);
    assert_eq!(wait_version(&a, 2).await, json!({"count": 1, "name": "b"}));
}

#[tokio::test]
async fn changes_made_while_disconnected_arrive_after_the_resume() {
    let (server, addr) = server().await;
    let proxy = Proxy::start(addr).await.unwrap();
    let client = Client::builder().connect(format!("ws://{}/ws", proxy.addr())).await.unwrap();
    server.update_state("anonymous", 0, json!({"step": 1})).unwrap();
    wait_version(&client, 1).await;
    proxy.inject(Fault::Stall(Direction::Both));
    server.update_state("anonymous", 1, json!({"step": 2})).unwrap();
    server.update_state("anonymous", 2, json!({"extra": true})).unwrap();
    proxy.inject(Fault::Reset);
    assert_eq!(wait_version(&client, 3).await, json!({"step": 2, "extra": true}));
    assert!(proxy.accepted() >= 2, "the client reconnected");
}

#[tokio::test]
async fn a_new_session_catches_up_from_version_zero() {
    let (server, addr) = server().await;
    for (v, key) in ["a", "b", "c"].iter().enumerate() {
        server.update_state("anonymous", v as u64, json!({ *key: v })).unwrap();
    }
    let late = Client::builder().connect(format!("ws://{addr}/ws")).await.unwrap();
    assert_eq!(wait_version(&late, 3).await, json!({"a": 0, "b": 1, "c": 2}));
}
