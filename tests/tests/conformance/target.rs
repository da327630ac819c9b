//! The endpoints under test. A raw tokio-tungstenite echo server takes application messages
//! as they are; the ws-reliable endpoint takes them inside protocol `data` frames after a
//! `hello`, so that the same case exercises its WebSocket layer on a live session.

use std::io;
use std::net::SocketAddr;

use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data as OpData, OpCode};
use ws_proto::{Data, Frame as ProtoFrame, Hello, Payload};

use super::wire::{Seen, Wire};

/// Which endpoint a case runs against.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Target {
    /// Plain tokio-tungstenite echo (the baseline).
    Raw(SocketAddr),
    /// ws-reliable's endpoint with an echo handler.
    Reliable(SocketAddr),
}

/// One open connection of a case, with what the target needs to wrap and unwrap messages.
pub(crate) struct Conn {
    pub(crate) wire: Wire,
    codec: Option<Codec>,
    next_seq: u64,
}

/// The reliable endpoint's codec on a connection.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Codec {
    Json,
    Binary,
}

impl Target {
    /// Connects; for ws-reliable, with the codec `binary` asks for, through `hello`/`welcome`.
    pub(crate) fn open(self, binary: bool) -> io::Result<Conn> {
        match self {
            Target::Raw(addr) => {
                Ok(Conn { wire: Wire::connect(addr, "/", None)?, codec: None, next_seq: 1 })
            }
            Target::Reliable(addr) => {
                let (codec, name) = if binary {
                    (Codec::Binary, "wsr.v1.bin")
                } else {
                    (Codec::Json, "wsr.v1.json")
                };
                let mut conn = Conn {
                    wire: Wire::connect(addr, "/ws", Some(name))?,
                    codec: Some(codec),
                    next_seq: 1,
                };
                conn.handshake()?;
                Ok(conn)
            }
        }
    }

    /// The name in reports.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Target::Raw(_) => "raw tokio-tungstenite",
            Target::Reliable(_) => "ws-reliable",
        }
    }
}

impl Conn {
    fn handshake(&mut self) -> io::Result<()> {
        let (text, hello) = self.encode(&ProtoFrame::Hello(Hello::default()));
        self.wire.send(message_frame(text, hello, true))?;
        let mut seen = Seen::default();
        self.wire.collect(&mut seen, |s| !s.messages.is_empty());
        let welcomed = seen
            .messages
            .first()
            .and_then(|(_, m)| self.decode(m))
            .is_some_and(|f| matches!(f, ProtoFrame::Welcome(_)));
        if welcomed { Ok(()) } else { Err(io::Error::other(format!("no welcome: {seen:?}"))) }
    }

    /// The WebSocket message that carries the application message `payload`: (is text, bytes).
    pub(crate) fn wrap(&mut self, text: bool, payload: &[u8]) -> (bool, Vec<u8>) {
        if self.codec.is_none() {
            return (text, payload.to_vec());
        }
        let payload = match (text, std::str::from_utf8(payload)) {
            (true, Ok(s)) => Payload::Text(s.to_owned()),
            _ => Payload::Binary(payload.to_vec().into()),
        };
        let mut data = Data::new(payload);
        data.seq = self.next_seq;
        self.next_seq += 1;
        self.encode(&ProtoFrame::Data(data))
    }

    /// The codec, for [`unwrap`] (`None`: the raw endpoint).
    pub(crate) fn codec(&self) -> Option<Codec> {
        self.codec
    }

    fn encode(&self, frame: &ProtoFrame) -> (bool, Vec<u8>) {
        encode(self.codec, frame)
    }

    fn decode(&self, bytes: &[u8]) -> Option<ProtoFrame> {
        decode(self.codec?, bytes)
    }
}

/// The application message a received WebSocket message carries, if it carries one.
pub(crate) fn unwrap(codec: Option<Codec>, text: bool, bytes: &[u8]) -> Option<(bool, Vec<u8>)> {
    let Some(codec) = codec else { return Some((text, bytes.to_vec())) };
    match decode(codec, bytes)? {
        ProtoFrame::Data(d) if !d.state && !d.fin => Some(match d.payload {
            Payload::Text(s) => (true, s.into_bytes()),
            Payload::Binary(b) => (false, b.to_vec()),
        }),
        _ => None,
    }
}

fn encode(codec: Option<Codec>, frame: &ProtoFrame) -> (bool, Vec<u8>) {
    match codec {
        Some(Codec::Binary) => (false, ws_proto::binary::encode(frame).to_vec()),
        _ => (true, ws_proto::json::encode(frame).into_bytes()),
    }
}

fn decode(codec: Codec, bytes: &[u8]) -> Option<ProtoFrame> {
    match codec {
        Codec::Binary => ws_proto::binary::decode(&bytes.to_vec().into()).ok(),
        Codec::Json => ws_proto::json::decode(std::str::from_utf8(bytes).ok()?).ok(),
    }
}

/// A data frame of a message: text or binary for the first fragment, continuation after.
pub(crate) fn message_frame(text: bool, payload: Vec<u8>, fin: bool) -> Frame {
    let op = if text { OpData::Text } else { OpData::Binary };
    Frame::message(payload, OpCode::Data(op), fin)
}
