//! The facade over real sockets on loopback: echo, resume through cuts, and explicit loss.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use ws_reliable::{Client, ClientConfig, Server, ServerConfig, ServerHandle};
use ws_reliable_tests::{Fault, Proxy};

#[allow(dead_code)]
mod support;

use support::http_get;

async fn echo_server(config: ServerConfig) -> (ServerHandle, std::net::SocketAddr) {
    let server = Server::builder().config(config).bind("127.0.0.1:0").await.unwrap();
    let addr = server.local_addr().unwrap();
    let handle = server.start(support::echo);
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
    let client =
        Client::builder().config(ClientConfig::default()).connect(url(proxy.addr())).await.unwrap();
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
        let message = tokio::time::timeout(Duration::from_secs(10), client.recv()).await.unwrap();
        received.push(message.unwrap().unwrap().text().unwrap().to_owned());
    }
    sender.await.unwrap();
    chaos.await.unwrap();
    let expected: Vec<String> = (0..total).map(|i| format!("m{i}")).collect();
    assert_eq!(received, expected, "exactly once, in order");
    assert!(proxy.accepted() >= 3, "the resets forced reconnects: {}", proxy.accepted());
    assert_eq!(server.sessions(), 1, "one session across all connections");
}

#[tokio::test]
async fn health_reports_checks_figures_and_metrics() {
    let mut config = ServerConfig::default();
    config.metrics_route = Some(std::sync::Arc::new(|| "wsr_up 1\n".to_owned()));
    let (_server, addr) = echo_server(config).await;
    let client = Client::builder().connect(url(addr)).await.unwrap();
    client.send("ping").await.unwrap();
    client.recv().await.unwrap();
    let (status, body) = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let (status, body) = http_get(addr, "/health/websocket").await;
            if status == 200 {
                return (status, body);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap();
    assert_eq!(status, 200);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["status"], "healthy");
    assert_eq!(json["coverage"], 1.0);
    assert_eq!(json["server"]["sessions"], 1);
    assert_eq!(json["server"]["attached"], 1);
    assert!(json["metrics"]["messages"]["received"].as_u64().unwrap() >= 1, "{body}");
    assert_eq!(
        json["checks"].as_array().unwrap().len(),
        5,
        "sessions, buffers, ghosts, lag, memory budget"
    );
    assert!(json["server"]["memory_budget"]["limit"].as_u64().unwrap() > 0, "{body}");
    let registry = &json["server"]["registry"];
    assert_eq!(registry["states"]["active"], 1, "the conn-state registry tracks the connection");
    assert_eq!(registry["states"]["failed"], 0);
    assert_eq!(http_get(addr, "/metrics").await, (200, "wsr_up 1\n".to_owned()));
    assert_eq!(http_get(addr, "/nope").await.0, 404);
}

#[tokio::test]
async fn a_flooding_connection_is_closed_with_4006() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};
    use ws_proto::{Data, Frame, Hello, json};

    let mut config = ServerConfig::default();
    config.max_messages_per_second = std::num::NonZeroU32::new(10);
    let (_server, addr) = echo_server(config).await;
    let mut request = url(addr).into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", "wsr.v1.json".parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    ws.send(Message::text(json::encode(&Frame::Hello(Hello::default())))).await.unwrap();
    for seq in 1..=50 {
        let data = Data { seq, ..Data::new("flood") };
        if ws.send(Message::text(json::encode(&Frame::Data(data)))).await.is_err() {
            break;
        }
    }
    let mut code = None;
    while let Ok(Some(Ok(message))) = tokio::time::timeout(Duration::from_secs(5), ws.next()).await
    {
        match message {
            Message::Text(text) => {
                if let Ok(Frame::Error(e)) = json::decode(text.as_str()) {
                    code = Some(e.code);
                }
            }
            Message::Close(_) => break,
            _ => {}
        }
    }
    assert_eq!(code, Some(4006), "the flood is refused with the rate-limit code");
}

#[tokio::test]
async fn a_message_over_the_peers_limit_ends_the_session_explicitly() {
    let mut config = ServerConfig::default();
    config.session.max_payload = 32 << 10;
    config.max_message_size = 64 << 10;
    let (server, addr) = echo_server(config).await;
    let client = Client::builder().connect(url(addr)).await.unwrap();
    client.send(vec![7u8; 200 << 10]).await.unwrap();
    let outcome = tokio::time::timeout(Duration::from_secs(5), client.recv()).await.unwrap();
    assert!(
        matches!(
            outcome,
            Err(ws_reliable::Error::SessionLost(ws_reliable::LostReason::ProtocolViolation))
        ),
        "told, not resent forever: {outcome:?}"
    );
    tokio::time::timeout(Duration::from_secs(5), async {
        while server.sessions() > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn application_ids_are_deduplicated_across_sessions_of_a_subject() {
    let server = Server::builder().bind("127.0.0.1:0").await.unwrap();
    let addr = server.local_addr().unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let _handle = server.start(move |session| {
        let tx = tx.clone();
        async move {
            while let Some(message) = session.recv().await? {
                let _ = tx.send(message.text().unwrap_or_default().to_owned());
            }
            Ok(())
        }
    });
    let first = Client::builder().connect(url(addr)).await.unwrap();
    first.session().send_with_id("order-1", "buy").await.unwrap();
    first.session().send_with_id("order-1", "buy again").await.unwrap();
    first.session().send_with_id("order-2", "sell").await.unwrap();
    first.close().await.unwrap();
    // A new session of the same subject resends what it is unsure about.
    let second = Client::builder().connect(url(addr)).await.unwrap();
    second.session().send_with_id("order-2", "sell").await.unwrap();
    second.session().send_with_id("order-3", "hold").await.unwrap();
    second.session().flush().await.unwrap();
    let mut got = Vec::new();
    while got.len() < 3 {
        got.push(tokio::time::timeout(Duration::from_secs(5), rx.recv()).await.unwrap().unwrap());
    }
    assert_eq!(got, ["buy", "sell", "hold"]);
    assert!(tokio::time::timeout(Duration::from_millis(200), rx.recv()).await.is_err(), "no more");
}

#[tokio::test]
async fn a_resume_with_a_wrong_token_or_an_unknown_session_is_refused_explicitly() {
    use ws_proto::{Frame, Hello, LostReason, Resume};

    let (server, addr) = echo_server(ServerConfig::default()).await;
    let mut owner = support::raw_json(addr).await;
    support::send_frame(&mut owner, &Frame::Hello(Hello::default())).await;
    let Ok(Frame::Welcome(welcome)) = support::next_frame(&mut owner).await else {
        panic!("no welcome");
    };
    let cases = [
        (welcome.session.clone(), "not-the-token".to_owned(), LostReason::Unauthorized),
        ("no-such-session".to_owned(), welcome.token.clone(), LostReason::Expired),
    ];
    for (session, token, expected) in cases {
        let mut intruder = support::raw_json(addr).await;
        let resume = Resume { session, token, last_received: 0 };
        support::send_frame(&mut intruder, &Frame::Hello(Hello { resume: Some(resume) })).await;
        match support::next_frame(&mut intruder).await {
            Ok(Frame::SessionLost(lost)) => assert_eq!(lost.reason, expected),
            other => panic!("expected session_lost {expected:?}, got {other:?}"),
        }
    }
    // The owner's session is untouched: it still echoes.
    let data = ws_proto::Data { seq: 1, ..ws_proto::Data::new("still mine") };
    support::send_frame(&mut owner, &Frame::Data(data)).await;
    match support::next_frame(&mut owner).await {
        Ok(Frame::Data(echo)) => assert_eq!(echo.payload, ws_proto::Payload::from("still mine")),
        other => panic!("expected the echo, got {other:?}"),
    }
    assert_eq!(server.sessions(), 1);
}
