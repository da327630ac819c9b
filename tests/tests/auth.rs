//! JWT authentication over real sockets on loopback: bad credentials are refused with an HTTP
//! status before any WebSocket exists, every credential carrier works, the origin allowlist
//! holds, and a token refresh keeps a live connection open while a missing one closes it
//! with code 4007.
#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use ws_proto::{Frame, Hello};
use ws_reliable::auth::Jwt;
use ws_reliable::{Client, ConnState, Error, Server, ServerConfig, ServerHandle};
use ws_reliable_tests::Proxy;

const SECRET: &[u8] = b"e2e-test-secret-e2e-test-secret!!";
const AUD: &str = "ws-api";
const ISS: &str = "https://idp.example.com";
const JSON: &str = "wsr.v1.json";
/// `{"alg":"none","typ":"JWT"}`, base64url without padding.
const NONE_HEADER: &str = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0";
const WAIT: Duration = Duration::from_secs(5);

type Raw = WebSocketStream<MaybeTlsStream<TcpStream>>;

fn unix_now() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    i64::try_from(since.as_secs()).unwrap()
}

/// Valid claims for `alice` expiring in `secs`; `edit` changes them.
fn claims(secs: i64, edit: impl FnOnce(&mut Value)) -> Value {
    let mut claims = json!({ "sub": "alice", "exp": unix_now() + secs, "aud": AUD, "iss": ISS });
    edit(&mut claims);
    claims
}

fn sign(claims: &Value, secret: &[u8]) -> String {
    let key = EncodingKey::from_secret(secret);
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &key).unwrap()
}

/// A valid token for `alice` expiring in `secs`.
fn token(secs: i64) -> String {
    sign(&claims(secs, |_| {}), SECRET)
}

fn alg_none(token: &str) -> String {
    let payload = token.split('.').nth(1).unwrap();
    format!("{NONE_HEADER}.{payload}.")
}

/// An echo server behind `Jwt::hs256(SECRET)` with the audience and issuer.
async fn server(config: ServerConfig) -> (ServerHandle, SocketAddr) {
    let server = Server::builder()
        .config(config)
        .auth(Jwt::hs256(SECRET).audience(AUD).issuer(ISS))
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let addr = server.local_addr().unwrap();
    let handle = server.start(support::echo);
    (handle, addr)
}

/// A server asking for a refresh 1 s before expiry and closing 1 s after it.
fn refresh_config() -> ServerConfig {
    let mut config = ServerConfig::default();
    config.refresh_lead = Duration::from_secs(1);
    config.refresh_grace = Duration::from_secs(1);
    config
}

/// A raw tokio-tungstenite upgrade of `ws://addr{path}` with extra headers.
async fn raw(
    addr: SocketAddr,
    path: &str,
    headers: &[(&'static str, String)],
) -> tungstenite::Result<Raw> {
    let mut request = format!("ws://{addr}{path}").into_client_request().unwrap();
    for (name, value) in headers {
        let value = HeaderValue::from_str(value).unwrap();
        request.headers_mut().insert(*name, value);
    }
    let (ws, _) = timeout(WAIT, tokio_tungstenite::connect_async(request)).await.unwrap()?;
    Ok(ws)
}

fn bearer(token: &str) -> (&'static str, String) {
    ("authorization", format!("Bearer {token}"))
}

fn protocols(value: &str) -> (&'static str, String) {
    ("sec-websocket-protocol", value.to_owned())
}

/// The status and body of an upgrade the server refused over HTTP.
#[track_caller]
fn refused(outcome: tungstenite::Result<Raw>) -> (u16, String) {
    match outcome {
        Err(tungstenite::Error::Http(response)) => {
            let body = response.body().as_deref().unwrap_or_default();
            (response.status().as_u16(), String::from_utf8_lossy(body).into_owned())
        }
        Err(e) => panic!("expected an HTTP refusal, got {e}"),
        Ok(_) => panic!("expected an HTTP refusal, the upgrade succeeded"),
    }
}

/// Says hello in JSON and returns the next frame the server sends (the welcome).
async fn hello(ws: &mut Raw) -> Frame {
    let hello = ws_proto::json::encode(&Frame::Hello(Hello::default()));
    ws.send(Message::text(hello)).await.unwrap();
    next_frame(ws).await.unwrap()
}

/// The next protocol frame, or `Err` with the close code when the server closes.
async fn next_frame(ws: &mut Raw) -> Result<Frame, Option<CloseCode>> {
    loop {
        let message = timeout(WAIT, ws.next()).await.unwrap();
        match message {
            Some(Ok(Message::Text(text))) => return Ok(ws_proto::json::decode(&text).unwrap()),
            Some(Ok(Message::Close(close))) => return Err(close.map(|c| c.code)),
            Some(Ok(_)) => continue,
            Some(Err(e)) => panic!("connection failed before a close frame: {e}"),
            None => return Err(None),
        }
    }
}

#[tokio::test]
async fn valid_token_connects_and_echoes() {
    let (server, addr) = server(ServerConfig::default()).await;
    let client = Client::builder()
        .token_provider(|| async { Some(token(60)) })
        .connect(format!("ws://{addr}/ws"))
        .await
        .unwrap();
    for i in 0..20 {
        client.send(format!("m{i}")).await.unwrap();
    }
    for i in 0..20 {
        let got = timeout(WAIT, client.recv()).await.unwrap().unwrap().unwrap();
        assert_eq!(got.text(), Some(format!("m{i}").as_str()));
    }
    assert_eq!(server.sessions(), 1);
    client.close().await.unwrap();
}

#[tokio::test]
async fn bad_credentials_get_401_before_any_websocket() {
    let (server, addr) = server(ServerConfig::default()).await;
    let wrong_audience = sign(&claims(60, |c| c["aud"] = json!("other-api")), SECRET);
    let rows = [
        ("expired", Some(token(-30)), "expired"),
        ("bad signature", Some(sign(&claims(60, |_| {}), b"not-the-secret")), "bad signature"),
        ("alg none", Some(alg_none(&token(60))), "unsupported algorithm"),
        ("wrong audience", Some(wrong_audience), "wrong audience"),
        ("missing", None, "missing bearer token"),
    ];
    for (name, token, why) in rows {
        let provided = token.clone();
        let outcome = Client::builder()
            .token_provider(move || {
                let token = provided.clone();
                async move { token }
            })
            .connect(format!("ws://{addr}/ws"))
            .await;
        match outcome {
            Err(Error::Rejected { status, reason }) => {
                assert_eq!(status, 401, "{name}");
                assert!(reason.contains(why), "{name}: {reason:?} should mention {why:?}");
            }
            Err(e) => panic!("{name}: expected Rejected, got {e}"),
            Ok(_) => panic!("{name}: expected Rejected, connected"),
        }
        let headers: Vec<_> = token.iter().map(|t| bearer(t)).collect();
        let (status, body) = refused(raw(addr, "/ws", &headers).await);
        assert_eq!(status, 401, "{name}");
        assert!(body.contains(why), "{name}: body {body:?} should mention {why:?}");
        if let Some(token) = &token {
            assert!(!body.contains(token.as_str()), "{name}: the body echoes the token");
        }
    }
    assert_eq!(server.sessions(), 0, "no session was ever created");
}

#[tokio::test]
async fn token_in_query_or_subprotocol() {
    let (server, addr) = server(ServerConfig::default()).await;
    let query = format!("/ws?access_token={}", token(60));
    let mut ws = raw(addr, &query, &[protocols(JSON)]).await.unwrap();
    assert!(matches!(hello(&mut ws).await, Frame::Welcome(_)));
    let offer = format!("{JSON}, bearer.{}", token(60));
    let mut ws = raw(addr, "/ws", &[protocols(&offer)]).await.unwrap();
    assert!(matches!(hello(&mut ws).await, Frame::Welcome(_)));
    assert_eq!(server.sessions(), 2);
    let bad = format!("{JSON}, bearer.{}", token(-30));
    let (status, body) = refused(raw(addr, "/ws", &[protocols(&bad)]).await);
    assert_eq!((status, body.as_str()), (401, "token expired"));
    let (status, _) = refused(raw(addr, "/ws?access_token=", &[protocols(JSON)]).await);
    assert_eq!(status, 401);
}

#[tokio::test]
async fn origin_allowlist() {
    let config = ServerConfig::default().allowed_origins(["https://app.example.com"]);
    let (server, addr) = server(config).await;
    let evil = [bearer(&token(60)), ("origin", "https://evil.example".to_owned())];
    let (status, body) = refused(raw(addr, "/ws", &evil).await);
    assert_eq!((status, body.as_str()), (403, "origin not allowed"));
    let good =
        [bearer(&token(60)), ("origin", "https://app.example.com".to_owned()), protocols(JSON)];
    let mut ws = raw(addr, "/ws", &good).await.unwrap();
    assert!(matches!(hello(&mut ws).await, Frame::Welcome(_)));
    // The origin is checked before the credentials.
    let evil_anonymous = [("origin", "https://evil.example".to_owned())];
    assert_eq!(refused(raw(addr, "/ws", &evil_anonymous).await).0, 403);
    assert_eq!(server.sessions(), 1);
}

/// A token provider minting a fresh 2-second token per call, counting the calls.
fn fresh_tokens(calls: Arc<AtomicUsize>) -> impl Fn() -> std::future::Ready<Option<String>> {
    move || {
        calls.fetch_add(1, Ordering::SeqCst);
        std::future::ready(Some(token(2)))
    }
}

#[tokio::test]
async fn refresh_keeps_the_connection_alive_past_expiry() {
    let (server, addr) = server(refresh_config()).await;
    // The proxy counts TCP connections: a silent reconnect would show there.
    let proxy = Proxy::start(addr).await.unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let client = Client::builder()
        .token_provider(fresh_tokens(Arc::clone(&calls)))
        .connect(format!("ws://{}/ws", proxy.addr()))
        .await
        .unwrap();
    // The first token expires within 2 s and, unrefreshed, would be cut 1 s later.
    let until = tokio::time::Instant::now() + Duration::from_millis(3_500);
    let mut sent = 0;
    let mut received = Vec::new();
    while tokio::time::Instant::now() < until {
        client.send(format!("m{sent}")).await.unwrap();
        sent += 1;
        let got = timeout(WAIT, client.recv()).await.unwrap().unwrap().unwrap();
        received.push(got.text().unwrap().to_owned());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let expected: Vec<String> = (0..sent).map(|i| format!("m{i}")).collect();
    assert_eq!(received, expected, "none lost, none repeated");
    let calls = calls.load(Ordering::SeqCst);
    assert!((3..=8).contains(&calls), "connect plus a refresh per token, not a storm: {calls}");
    assert_eq!(proxy.accepted(), 1, "one connection throughout");
    assert_eq!(*client.state().borrow(), ConnState::Connected);
    assert_eq!(server.sessions(), 1);
    client.close().await.unwrap();
}

#[tokio::test]
async fn no_refresh_closes_with_4007() {
    let (_server, addr) = server(refresh_config()).await;
    let mut ws = raw(addr, "/ws", &[bearer(&token(2)), protocols(JSON)]).await.unwrap();
    assert!(matches!(hello(&mut ws).await, Frame::Welcome(_)));
    let mut requested = false;
    let code = loop {
        match next_frame(&mut ws).await {
            Ok(Frame::RefreshRequest(_)) => requested = true,
            Ok(_) => continue,
            Err(code) => break code,
        }
    };
    assert!(requested, "the server asked for a refresh first");
    assert_eq!(code, Some(CloseCode::Library(4007)));
}

/// A client whose provider hands out the same short-lived token every time must lose its
/// connection when that token expires, not keep it alive by replaying it.
#[tokio::test]
async fn stale_refresh_does_not_extend_the_connection() {
    let (_server, addr) = server(refresh_config()).await;
    let stale = token(2);
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let client = Client::builder()
        .token_provider(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            std::future::ready(Some(stale.clone()))
        })
        .connect(format!("ws://{addr}/ws"))
        .await
        .unwrap();
    let mut state = client.state();
    // Expiry within 2 s plus 1 s of grace, and some slack for a loaded machine.
    let left =
        timeout(Duration::from_millis(4_500), state.wait_for(|s| *s != ConnState::Connected));
    let left = left.await.expect("still connected after the token and grace ran out");
    assert!(!matches!(*left.unwrap(), ConnState::Connected));
    // One refresh request, answered once with the same token: no request/refresh loop.
    let calls = calls.load(Ordering::SeqCst);
    assert!(calls <= 3, "the stale token was asked for {calls} times");
}

#[tokio::test]
async fn provider_without_token_is_closed_and_not_readmitted() {
    let (_server, addr) = server(refresh_config()).await;
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let client = Client::builder()
        .token_provider(move || {
            let first = counter.fetch_add(1, Ordering::SeqCst) == 0;
            std::future::ready(first.then(|| token(2)))
        })
        .connect(format!("ws://{addr}/ws"))
        .await
        .unwrap();
    let mut state = client.state();
    let failed = state.wait_for(|s| matches!(s, ConnState::Failed { .. }));
    let failed = timeout(Duration::from_millis(4_500), failed).await.unwrap();
    let reason = format!("{:?}", *failed.unwrap());
    assert!(reason.contains("Unauthorized"), "{reason}");
}
