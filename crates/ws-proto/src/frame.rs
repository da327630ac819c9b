//! The frames of the protocol, as Rust values. `docs/protocol.md` is their specification;
//! [`crate::json`] and [`crate::binary`] put them on the wire.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// A per-direction sequence number. The first data frame of a session in each direction
/// carries 1; 0 means "nothing yet".
pub type Seq = u64;

/// One protocol frame.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Frame {
    /// Client to server, first frame of every connection: a new session or a resume.
    Hello(Hello),
    /// Server to client, answer to `Hello`: the session and what the server has received.
    Welcome(Welcome),
    /// Application data, in either direction.
    Data(Data),
    /// Cumulative acknowledgement, in either direction.
    Ack(Ack),
    /// The session cannot continue; the reason says why. The connection closes after it.
    SessionLost(SessionLost),
    /// A protocol error on this connection; the connection closes after it.
    Error(ErrorFrame),
    /// Server to client: the credentials expire soon, send a `Refresh`.
    RefreshRequest(RefreshRequest),
    /// Client to server: a new credential for the live connection.
    Refresh(Refresh),
}

/// The client's opening frame.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    /// Present when the client resumes an earlier session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume: Option<Resume>,
}

/// What a client presents to resume a session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resume {
    /// The session id from the first `Welcome`.
    pub session: String,
    /// The secret resume token from the first `Welcome`.
    pub token: String,
    /// The highest server-to-client sequence number the client has received in order.
    pub last_received: Seq,
}

/// The server's answer to `Hello`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Welcome {
    /// The session id (stable across resumes).
    pub session: String,
    /// The secret resume token to present in a later `Hello`.
    pub token: String,
    /// Whether this connection continues an earlier session.
    pub resumed: bool,
    /// The highest client-to-server sequence number the server has received in order; the
    /// client retransmits everything after it.
    pub last_received: Seq,
    /// How long the server keeps a detached session, in milliseconds.
    pub resume_window_ms: u64,
}

/// Application data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Data {
    /// Sequence number in this direction, consecutive from 1.
    pub seq: Seq,
    /// Optional application message id, for idempotency across sessions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Present when the frame is one chunk of a stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<StreamPart>,
    /// Marks a protocol message riding the reliable sequence (state sync): its payload is a
    /// JSON [`StateFrame`], for the session layer rather than the application.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub state: bool,
    /// Marks the sender's close of the session (like TCP's FIN): it rides the sequence, so it
    /// is delivered after everything sent before it and survives reconnects. Empty payload.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fin: bool,
    /// The payload.
    #[serde(flatten)]
    pub payload: Payload,
}

/// A message payload: text (UTF-8) or bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Payload {
    /// UTF-8 text (JSON documents travel as text).
    Text(String),
    /// Raw bytes; base64 in the JSON codec.
    #[serde(rename = "b64", with = "b64")]
    Binary(Bytes),
}

/// The stream fields of a data frame.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamPart {
    /// The stream's id, chosen by the sender, unique within the session.
    pub id: String,
    /// Chunk index within the stream, consecutive from 0.
    pub index: u64,
    /// Whether this is the final chunk.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub last: bool,
    /// On the final chunk: SHA-256 over the concatenated payload bytes of every chunk.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_hex")]
    pub digest: Option<[u8; 32]>,
}

/// A cumulative acknowledgement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    /// Every data frame with `seq <= up_to` was received.
    pub up_to: Seq,
}

/// Why a session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LostReason {
    /// The session was detached longer than the resume window, or is unknown to the server.
    Expired,
    /// The session could not buffer a message it must not drop: a server-side state-sync
    /// message for a peer that stopped consuming (application sends wait instead).
    BufferOverflow,
    /// The resume token or the authenticated subject did not match.
    Unauthorized,
    /// The peer broke the protocol in a way the session cannot survive.
    ProtocolViolation,
    /// The server shut down for good and will not keep the session.
    Shutdown,
    /// The peer's application closed the session on purpose; nothing was lost.
    Closed,
}

/// The session-lost frame.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionLost {
    /// Why.
    pub reason: LostReason,
    /// Human-readable detail.
    #[serde(default)]
    pub message: String,
}

/// A protocol error frame.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorFrame {
    /// A code from [`crate::ErrorCode`].
    pub code: u16,
    /// Human-readable detail.
    #[serde(default)]
    pub message: String,
}

/// The server's request for a fresh credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshRequest {
    /// Milliseconds until the connection is closed if no `Refresh` arrives.
    pub deadline_ms: u64,
}

/// A fresh credential.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refresh {
    /// The new token (e.g. a JWT).
    pub token: String,
}

/// Versioned shared state messages. They travel as the JSON payload of data frames marked
/// `state`, so they share the session's reliable sequence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StateFrame {
    /// Ask for everything after `version` (0 = nothing known).
    Sync {
        /// The version the sender has.
        version: u64,
    },
    /// The whole state at `version`.
    Snapshot {
        /// The state's version.
        version: u64,
        /// The state.
        state: serde_json::Value,
    },
    /// One change, producing `version`.
    Delta {
        /// The version after the change.
        version: u64,
        /// A JSON merge patch (RFC 7386).
        delta: serde_json::Value,
        /// On the copy sent to the session whose `Update` caused it: that update's `req`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<u64>,
    },
    /// Propose a change against `expected`.
    Update {
        /// The sender's request number, echoed in the answer.
        req: u64,
        /// The version the change was made against.
        expected: u64,
        /// A JSON merge patch (RFC 7386).
        delta: serde_json::Value,
    },
    /// An `Update` was made against a stale version; nothing changed.
    Conflict {
        /// The update's request number.
        req: u64,
        /// The version the update expected.
        expected: u64,
        /// The current version.
        current: u64,
    },
}

mod b64 {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use bytes::Bytes;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(bytes: &Bytes, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Bytes, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let decoded = STANDARD.decode(text.as_bytes()).map_err(serde::de::Error::custom)?;
        Ok(Bytes::from(decoded))
    }
}

mod opt_hex {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(v: &Option<[u8; 32]>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(bytes) => s.serialize_str(&hex::encode(bytes)),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<[u8; 32]>, D::Error> {
        let Some(text) = <Option<std::borrow::Cow<'de, str>>>::deserialize(d)? else {
            return Ok(None);
        };
        let mut out = [0u8; 32];
        hex::decode_to_slice(text.as_bytes(), &mut out).map_err(serde::de::Error::custom)?;
        Ok(Some(out))
    }
}

impl Payload {
    /// Payload size in bytes.
    pub fn len(&self) -> usize {
        match self {
            Payload::Text(text) => text.len(),
            Payload::Binary(bytes) => bytes.len(),
        }
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl From<String> for Payload {
    fn from(text: String) -> Self {
        Payload::Text(text)
    }
}

impl From<&str> for Payload {
    fn from(text: &str) -> Self {
        Payload::Text(text.to_owned())
    }
}

impl From<Vec<u8>> for Payload {
    fn from(bytes: Vec<u8>) -> Self {
        Payload::Binary(Bytes::from(bytes))
    }
}

impl From<Bytes> for Payload {
    fn from(bytes: Bytes) -> Self {
        Payload::Binary(bytes)
    }
}

impl Data {
    /// A data frame without id or stream fields; the session assigns `seq`.
    pub fn new(payload: impl Into<Payload>) -> Self {
        Self { seq: 0, id: None, stream: None, state: false, fin: false, payload: payload.into() }
    }

    /// Payload size in bytes (what the buffer bounds count).
    pub fn payload_len(&self) -> usize {
        self.payload.len()
    }
}
