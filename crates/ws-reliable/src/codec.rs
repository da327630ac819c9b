//! Which codec a connection speaks, chosen by the WebSocket subprotocol.

use tokio_tungstenite::tungstenite::Message;
use ws_proto::{Frame, SUBPROTOCOL_BINARY, SUBPROTOCOL_JSON};

/// The two wire encodings of `docs/protocol.md`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Codec {
    /// JSON frames in text messages (`wsr.v1.json`), for browsers and other languages.
    Json,
    /// Compact binary frames in binary messages (`wsr.v1.bin`). The default.
    #[default]
    Binary,
}

/// What a received WebSocket message amounts to.
#[derive(Debug)]
pub(crate) enum Incoming {
    /// A protocol frame.
    Frame(Frame),
    /// A ping or pong: only a sign of life.
    Alive,
    /// The peer closed the connection, with this close code if it gave one.
    Close(Option<u16>),
    /// Not a valid frame for this codec.
    Malformed(ws_proto::Error),
}

impl Codec {
    /// The subprotocol name.
    pub fn subprotocol(self) -> &'static str {
        match self {
            Codec::Json => SUBPROTOCOL_JSON,
            Codec::Binary => SUBPROTOCOL_BINARY,
        }
    }

    /// The codec a subprotocol names, if any.
    pub fn from_subprotocol(name: &str) -> Option<Codec> {
        match name.trim() {
            SUBPROTOCOL_JSON => Some(Codec::Json),
            SUBPROTOCOL_BINARY => Some(Codec::Binary),
            _ => None,
        }
    }

    pub(crate) fn encode(self, frame: &Frame) -> Message {
        match self {
            Codec::Json => Message::text(ws_proto::json::encode(frame)),
            Codec::Binary => Message::Binary(ws_proto::binary::encode(frame)),
        }
    }

    pub(crate) fn decode(self, message: Message) -> Incoming {
        let decoded = match (self, message) {
            (Codec::Json, Message::Text(text)) => ws_proto::json::decode(text.as_str()),
            (Codec::Binary, Message::Binary(bytes)) => ws_proto::binary::decode(&bytes),
            (_, Message::Ping(_) | Message::Pong(_)) => return Incoming::Alive,
            (_, Message::Close(frame)) => return Incoming::Close(frame.map(|f| f.code.into())),
            (_, other) => Err(ws_proto::Error::Malformed(format!(
                "{} message on a {} connection",
                kind(&other),
                self.subprotocol()
            ))),
        };
        match decoded {
            Ok(frame) => Incoming::Frame(frame),
            Err(e) => Incoming::Malformed(e),
        }
    }
}

fn kind(message: &Message) -> &'static str {
    match message {
        Message::Text(_) => "text",
        Message::Binary(_) => "binary",
        _ => "control",
    }
}
