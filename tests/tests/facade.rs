//! The facade over real sockets on loopback: echo, resume through cuts, and explicit loss.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use ws_reliable::{Client, ClientConfig, Server, ServerConfig, ServerHandle};
use ws_reliable_tests::{Fault, Proxy};

async fn echo_server(config: ServerConfig) -> (ServerHandle, std::net::SocketAddr) {
    let server = Server::builder()
        .config(config)
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let addr = server.local_addr().unwrap();
    let handle = server.start(|session| async move {
        while let Some(message) = session.recv().await? {
            session.send(message.payload).await?;
        }
        Ok(())
    });
    (handle, addr)
}

fn url(addr: std::net::SocketAddr) -> String {
    format!("ws://{addr}/ws")
}

#[tokio::test]
async fn echo_round_trip() {
    let (_server, addr) = echo_server(ServerConfig::default()).await;
    let client = Client::builder().connect(url(addr)).await.unwrap();
    for i in 0..100 {
        client.send(format!("m{i}")).await.unwrap();
    }
    for i in 0..100 {
        let got = client.recv().await.unwrap().unwrap();
        assert_eq!(got.text(), Some(format!("m{i}").as_str()));
    }
    client.close().await.unwrap();
}

#[tokio::test]
async fn messages_survive_repeated_resets() {
    let (server, addr) = echo_server(ServerConfig::default()).await;
    let proxy = Proxy::start(addr).await.unwrap();
    let client = Client::builder()
        .config(ClientConfig::default())
        .connect(url(proxy.addr()))
        .await
        .unwrap();
    let total = 5_000;
    let session = client.session().clone();
    let sender = tokio::spawn(async move {
        for i in 0..total {
            session.send(format!("m{i}")).await.unwrap();
            if i % 50 == 0 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    });
    let chaos = {
        let proxy = proxy.clone();
        tokio::spawn(async move {
            for _ in 0..5 {
                tokio::time::sleep(Duration::from_millis(15)).await;
                proxy.inject(Fault::Reset);
            }
        })
    };
    let mut received = Vec::new();
    while received.len() < total {
        let message = tokio::time::timeout(Duration::from_secs(10), client.recv())
            .await
            .unwrap();
        received.push(message.unwrap().unwrap().text().unwrap().to_owned());
    }
    sender.await.unwrap();
    chaos.await.unwrap();
    let expected: Vec<String> = (0..total).map(|i| format!("m{i}")).collect();
    assert_eq!(received, expected, "exactly once, in order");
    assert!(
        proxy.accepted() >= 3,
        "the resets forced reconnects: {}",
        proxy.accepted()
    );
    assert_eq!(server.sessions(), 1, "one session across all connections");
}
