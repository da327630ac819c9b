//! The facade's error type.

use ws_proto::LostReason;

/// A `Result` with the facade's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in a server or a client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The session ended for the given reason; nothing more will be delivered (expected: the
    /// explicit loss the guarantee promises instead of a silent gap).
    #[error("session lost: {0:?}")]
    SessionLost(LostReason),
    /// A shared-state update was made against a stale version; nothing changed (expected).
    #[error("state conflict: expected version {expected}, current is {current}")]
    Conflict {
        /// The version the update was made against.
        expected: u64,
        /// The current version.
        current: u64,
    },
    /// The outbound buffer is full (expected: backpressure from `try_send`).
    #[error("outbound buffer full")]
    Full,
    /// A stream's final digest did not match what arrived (expected: corruption detected).
    #[error("stream {0} corrupted: digest mismatch")]
    StreamCorrupted(String),
    /// A protocol error from the session machine or the codecs.
    #[error(transparent)]
    Protocol(#[from] ws_proto::Error),
    /// The WebSocket layer failed (expected at run time: network).
    #[error("websocket: {0}")]
    WebSocket(#[from] Box<tokio_tungstenite::tungstenite::Error>),
    /// An I/O error (expected at run time: network).
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// The server refused the connection at the HTTP upgrade (expected: bad credentials).
    #[error("rejected with HTTP {status}: {reason}")]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// The body the server sent.
        reason: String,
    },
    /// TLS failed: a certificate the client does not trust (or for another name), or a bad
    /// certificate or key given to the server (expected at run time: configuration).
    #[error("tls: {0}")]
    Tls(String),
    /// The peer did not follow the handshake (expected at run time from a bad peer).
    #[error("handshake: {0}")]
    Handshake(String),
    /// A configuration value out of range (caller bug).
    #[error("invalid config: {0}")]
    Config(String),
    /// The server or client was shut down.
    #[error("shut down")]
    Shutdown,
}

impl From<tokio_tungstenite::tungstenite::Error> for Error {
    fn from(e: tokio_tungstenite::tungstenite::Error) -> Self {
        #[cfg(feature = "tls")]
        if let tokio_tungstenite::tungstenite::Error::Io(io) = &e
            && let Some(explained) = crate::tls::explain(io)
        {
            return Error::Tls(explained);
        }
        Error::WebSocket(Box::new(e))
    }
}
