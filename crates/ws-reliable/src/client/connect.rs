//! One connection attempt: TCP (and TLS for `wss://`), HTTP upgrade with credentials,
//! `Hello`, `Welcome`.

use futures_util::{SinkExt, StreamExt};
use http::HeaderValue;
use http::header::{AUTHORIZATION, SEC_WEBSOCKET_PROTOCOL};
use tokio::net::TcpStream;
#[cfg(feature = "tls")]
use tokio_tungstenite::Connector;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use ws_proto::{Frame, Hello, Resume, Welcome};

use crate::client::ClientConfig;
use crate::codec::Incoming;
use crate::common::websocket_config;
use crate::error::{Error, Result};

/// The client's WebSocket.
pub(crate) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Connects, presents `token`, and says hello (resuming `resume` if given).
pub(crate) async fn connect(
    url: &str,
    config: &ClientConfig,
    token: Option<&str>,
    resume: Option<Resume>,
) -> Result<(Ws, Welcome)> {
    let attempt = async {
        let mut ws = upgrade(url, config, token).await?;
        ws.send(config.codec.encode(&Frame::Hello(Hello { resume }))).await?;
        let welcome = read_welcome(&mut ws, config).await?;
        Ok((ws, welcome))
    };
    tokio::time::timeout(config.connect_timeout, attempt)
        .await
        .map_err(|_| Error::Handshake("connect timed out".to_owned()))?
}

async fn upgrade(url: &str, config: &ClientConfig, token: Option<&str>) -> Result<Ws> {
    let mut request = url.into_client_request()?;
    let headers = request.headers_mut();
    headers.insert(SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static(config.codec.subprotocol()));
    if let Some(token) = token {
        let value = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| Error::Config("token is not a valid header value".to_owned()))?;
        headers.insert(AUTHORIZATION, value);
    }
    let ws_config = websocket_config(config.read_buffer_size, config.max_message_size);
    let outcome = dial(request, ws_config, config).await;
    match outcome {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            let status = response.status().as_u16();
            let reason = response.body().as_ref().map(|b| String::from_utf8_lossy(b).into_owned());
            Err(Error::Rejected { status, reason: reason.unwrap_or_default() })
        }
        Err(e) => Err(e.into()),
    }
}

type Dialed = std::result::Result<(Ws, Response), tokio_tungstenite::tungstenite::Error>;

/// TCP, TLS with the configured rustls settings for `wss://` (feature `tls`), the upgrade.
#[cfg(feature = "tls")]
async fn dial(request: Request, ws_config: WebSocketConfig, config: &ClientConfig) -> Dialed {
    let connector = match (request.uri().scheme_str(), &config.tls) {
        (Some("wss"), Some(tls)) => Some(Connector::Rustls(std::sync::Arc::clone(tls))),
        (Some("wss"), None) => match crate::tls::default_client_config() {
            Ok(tls) => Some(Connector::Rustls(tls)),
            Err(e) => return Err(std::io::Error::other(e.to_string()).into()),
        },
        _ => None,
    };
    tokio_tungstenite::connect_async_tls_with_config(request, Some(ws_config), true, connector)
        .await
}

/// TCP and the upgrade; `wss://` needs the `tls` feature (tungstenite says so).
#[cfg(not(feature = "tls"))]
async fn dial(request: Request, ws_config: WebSocketConfig, _: &ClientConfig) -> Dialed {
    tokio_tungstenite::connect_async_with_config(request, Some(ws_config), true).await
}

async fn read_welcome(ws: &mut Ws, config: &ClientConfig) -> Result<Welcome> {
    while let Some(message) = ws.next().await {
        match config.codec.decode(message?) {
            Incoming::Frame(Frame::Welcome(welcome)) => return Ok(welcome),
            Incoming::Frame(Frame::SessionLost(lost)) => {
                return Err(Error::SessionLost(lost.reason));
            }
            Incoming::Frame(Frame::Error(e)) => {
                return Err(Error::Handshake(format!("{}: {}", e.code, e.message)));
            }
            Incoming::Frame(_) => return Err(Error::Handshake("expected welcome".to_owned())),
            Incoming::Alive => continue,
            Incoming::Close(_) => break,
            Incoming::Malformed(e) => return Err(e.into()),
        }
    }
    Err(Error::Handshake("closed before welcome".to_owned()))
}
