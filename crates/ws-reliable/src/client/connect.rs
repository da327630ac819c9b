//! One connection attempt: TCP, HTTP upgrade with credentials, `Hello`, `Welcome`.

use futures_util::{SinkExt, StreamExt};
use http::HeaderValue;
use http::header::{AUTHORIZATION, SEC_WEBSOCKET_PROTOCOL};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use ws_proto::{Frame, Hello, Resume, Welcome};

use crate::client::ClientConfig;
use crate::codec::Incoming;
use crate::error::{Error, Result};
use crate::server::websocket_config;

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
    let outcome =
        tokio_tungstenite::connect_async_with_config(request, Some(ws_config), true).await;
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
