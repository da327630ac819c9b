//! `wsr serve` security flags over loopback: `--allowed-origin` refuses a foreign origin's
//! upgrade with 403 and lets the listed one through (101); `--jwt-audience` and `--jwt-issuer`
//! parse and require `--jwt-secret`.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;

use clap::Parser;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wsr::serve::{ServeConfig, start};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    serve: ServeConfig,
}

fn parse(args: &[&str]) -> Result<ServeConfig, clap::Error> {
    Cli::try_parse_from(std::iter::once("serve").chain(args.iter().copied())).map(|c| c.serve)
}

/// The status line of a WebSocket upgrade request sent with `origin`.
async fn upgrade_status(addr: SocketAddr, origin: &str) -> String {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET /ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
         Origin: {origin}\r\n\r\n"
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut head = vec![0u8; 64];
    let n = tcp.read(&mut head).await.unwrap();
    String::from_utf8_lossy(&head[..n]).lines().next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn allowed_origin_flag_refuses_other_origins() {
    let args = ["--addr", "127.0.0.1:0", "--allowed-origin", "https://app.example"];
    let config = parse(&args).unwrap();
    let (handle, addr) = start(&config).await.unwrap();
    let run = async {
        let evil = upgrade_status(addr, "https://evil.example").await;
        assert!(evil.contains(" 403"), "{evil}");
        let good = upgrade_status(addr, "https://app.example").await;
        assert!(good.contains(" 101"), "{good}");
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), run).await.unwrap();
    handle.shutdown();
}

#[test]
fn jwt_audience_and_issuer_flags_parse_and_need_a_secret() {
    let config = parse(&[
        "--jwt-secret",
        "0123456789abcdef0123456789abcdef",
        "--jwt-audience",
        "a",
        "--jwt-audience",
        "b",
        "--jwt-issuer",
        "https://auth.example",
    ])
    .unwrap();
    assert_eq!(config.jwt_audiences, ["a", "b"]);
    assert_eq!(config.jwt_issuers, ["https://auth.example"]);
    assert!(parse(&["--jwt-audience", "a"]).is_err(), "an audience without a secret");
    assert!(parse(&["--jwt-issuer", "i"]).is_err(), "an issuer without a secret");
}
