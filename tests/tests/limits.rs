//! Size limits and close codes over real sockets on loopback (`docs/protocol.md` §13, §14):
//! a payload over the receiver's payload limit (the same limit its own `send` applies) ends
//! the session with `session_lost`, `error` 4005 and close 4005; WebSocket-layer violations
//! close with RFC 6455 codes (1002, 1007, 1009), before and after `hello`.
#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
mod support;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{WebSocketStream, client_async};
use ws_reliable::ServerConfig;

use support::{Echo, bounded, url};

type Ws = WebSocketStream<TcpStream>;

async fn open(echo: &Echo) -> Ws {
    let tcp = TcpStream::connect(echo.addr).await.unwrap();
    client_async(url(echo.addr), tcp).await.unwrap().0
}

/// Opens a session: sends `hello` and reads the `welcome`.
async fn attached(echo: &Echo) -> Ws {
    let mut ws = open(echo).await;
    ws.send(Message::text(json!({"hello": {}}).to_string())).await.unwrap();
    let welcome = ws.next().await.unwrap().unwrap();
    assert!(welcome.to_text().unwrap().contains("welcome"), "{welcome:?}");
    ws
}

/// Reads until the close frame: the text frames before it and its code.
async fn until_close(ws: &mut Ws) -> (Vec<Value>, Option<u16>) {
    let mut frames = Vec::new();
    while let Some(Ok(message)) = ws.next().await {
        match message {
            Message::Text(text) => frames.push(serde_json::from_str(&text).unwrap()),
            Message::Close(close) => return (frames, close.map(|c| c.code.into())),
            _ => {}
        }
    }
    (frames, None)
}

#[track_caller]
fn has(frames: &[Value], key: &str) -> bool {
    frames.iter().any(|f| f.get(key).is_some())
}

#[tokio::test]
async fn a_payload_over_the_receivers_limit_ends_the_session_with_a_reason() {
    bounded(20, async {
        let echo = Echo::start(ServerConfig::default()).await;
        let mut ws = attached(&echo).await;
        // 1.5 MiB: under the 2 MiB WebSocket limit, over the 1 MiB payload limit (which is
        // also what the server's own send accepts, so an echo could never go out).
        let text = "a".repeat(3 << 19);
        let data = json!({"data": {"seq": 1, "text": text}}).to_string();
        ws.send(Message::text(data)).await.unwrap();
        let (frames, code) = until_close(&mut ws).await;
        assert_eq!(code, Some(4005));
        assert!(has(&frames, "session_lost"), "{frames:?}");
        let error = frames.iter().find_map(|f| f.get("error")).expect("an error frame");
        assert_eq!(error["code"], 4005);
        let message = error["message"].as_str().unwrap();
        assert!(message.contains("message-size limit of 1048576"), "{message}");
        echo.handle.shutdown();
    })
    .await;
}

/// Writes `raw` under the WebSocket layer and expects a close with `code` and no error frame.
async fn check_transport(mut ws: Ws, raw: &[u8], code: u16) {
    ws.get_mut().write_all(raw).await.unwrap();
    let (frames, got) = until_close(&mut ws).await;
    assert_eq!(got, Some(code), "{raw:?}");
    assert!(!has(&frames, "error"), "{frames:?}");
}

const UNMASKED_TEXT: &[u8] = &[0x81, 0x02, b'h', b'i'];
const RSV_BITS: &[u8] = &[0xC1, 0x82, 0, 0, 0, 0, b'h', b'i'];
const UNKNOWN_OPCODE: &[u8] = &[0x83, 0x80, 0, 0, 0, 0];
const FRAGMENTED_PING: &[u8] = &[0x09, 0x80, 0, 0, 0, 0];
/// A masked (all-zero key) text frame whose payload is not UTF-8.
const BAD_UTF8: &[u8] = &[0x81, 0x82, 0, 0, 0, 0, 0xff, 0xfe];

#[tokio::test]
async fn websocket_violations_close_with_rfc6455_codes_before_and_after_hello() {
    bounded(30, async {
        let echo = Echo::start(ServerConfig::default()).await;
        for (raw, code) in [
            (UNMASKED_TEXT, 1002),
            (RSV_BITS, 1002),
            (UNKNOWN_OPCODE, 1002),
            (FRAGMENTED_PING, 1002),
            (BAD_UTF8, 1007),
        ] {
            check_transport(open(&echo).await, raw, code).await;
            check_transport(attached(&echo).await, raw, code).await;
        }
        echo.handle.shutdown();
    })
    .await;
}

#[tokio::test]
async fn a_message_over_the_websocket_limit_closes_with_1009() {
    bounded(30, async {
        let echo = Echo::start(ServerConfig::default()).await;
        // A frame header announcing 3 MiB (over the 2 MiB limit); the payload never follows.
        let mut header = vec![0x82, 0xFF];
        header.extend_from_slice(&(3u64 << 20).to_be_bytes());
        header.extend_from_slice(&[0, 0, 0, 0]);
        check_transport(open(&echo).await, &header, 1009).await;
        let mut ws = attached(&echo).await;
        ws.get_mut().write_all(&header).await.unwrap();
        let (frames, code) = until_close(&mut ws).await;
        assert_eq!(code, Some(1009));
        // The session is over (a resend would meet the same limit), and the peer is told.
        assert!(has(&frames, "session_lost"), "{frames:?}");
        echo.handle.shutdown();
    })
    .await;
}
