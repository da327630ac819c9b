//! The crate's error type and the protocol's error codes.

use crate::frame::Seq;

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Protocol error codes. They travel in [`crate::ErrorFrame`] and double as WebSocket close
/// codes (the 4000-4999 range is reserved for applications by RFC 6455).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u16)]
#[non_exhaustive]
pub enum ErrorCode {
    /// The message could not be decoded as a frame.
    Malformed = 4000,
    /// A frame that is not allowed at this point (e.g. data before `Hello`).
    Unexpected = 4002,
    /// An acknowledgement for a sequence number that was never sent.
    AckBeyondSent = 4003,
    /// A data frame skipped sequence numbers.
    SequenceGap = 4004,
    /// A message over the configured size limit.
    TooLarge = 4005,
    /// The peer sent faster than its rate limit.
    RateLimited = 4006,
    /// The credential expired and no refresh arrived in time.
    AuthExpired = 4007,
    /// A stream chunk out of order, or a chunk for a finished stream.
    BadStream = 4008,
    /// The peer went silent past the heartbeat timeout.
    HeartbeatTimeout = 4009,
}

impl ErrorCode {
    /// The numeric code.
    pub fn as_u16(self) -> u16 {
        self as u16
    }
}

/// Errors of the codecs and the session machine.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Peer input that is not a valid frame (expected at run time; close that connection).
    #[error("malformed frame: {0}")]
    Malformed(String),
    /// A frame not allowed in the current state (expected at run time from a buggy peer).
    #[error("unexpected frame: {0}")]
    Unexpected(&'static str),
    /// The peer acknowledged data that was never sent (expected at run time from a buggy peer).
    #[error("ack for seq {acked} but only {sent} sent")]
    AckBeyondSent {
        /// The acknowledged sequence number.
        acked: Seq,
        /// The highest sequence number sent.
        sent: Seq,
    },
    /// A data frame skipped sequence numbers (expected at run time from a buggy peer).
    #[error("sequence gap: expected {expected}, got {got}")]
    SequenceGap {
        /// The next sequence number expected.
        expected: Seq,
        /// The one received.
        got: Seq,
    },
    /// A stream chunk out of order or after the stream ended.
    #[error("bad stream {stream}: {detail}")]
    BadStream {
        /// The stream id.
        stream: String,
        /// What was wrong.
        detail: String,
    },
    /// The peer sent faster than its rate limit (expected at run time from a flooding peer).
    #[error("message rate limit exceeded")]
    RateLimited,
    /// The outbound buffer is full: wait for acknowledgements (expected: backpressure).
    #[error("outbound buffer full ({messages} messages, {bytes} bytes)")]
    Full {
        /// Messages buffered.
        messages: usize,
        /// Bytes buffered.
        bytes: usize,
    },
    /// A message over the payload limit (`min(max_payload, max_buffered_bytes)`): refused by
    /// `send` at once (caller bug, or raise the limit), and from the peer it ends the session,
    /// because the peer would resend it after every resume.
    #[error("message of {size} bytes exceeds the message-size limit of {limit} bytes")]
    TooLarge {
        /// The message's payload size.
        size: usize,
        /// The largest payload accepted (`max_payload`, or the replay buffer's byte bound if
        /// smaller), the same in both directions.
        limit: usize,
    },
    /// A message id or stream id longer than [`crate::MAX_ID_LEN`] bytes (caller bug).
    #[error("id of {len} bytes exceeds {limit}")]
    IdTooLong {
        /// The id's length.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// The session has ended; nothing more can be sent (caller bug to keep using it).
    #[error("session ended")]
    Ended,
    /// A configuration value out of range (caller bug).
    #[error("invalid config: {0}")]
    Config(&'static str),
}

impl Error {
    /// The protocol error code to send the peer when this error comes from its input.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Malformed(_) => ErrorCode::Malformed,
            Error::AckBeyondSent { .. } => ErrorCode::AckBeyondSent,
            Error::SequenceGap { .. } => ErrorCode::SequenceGap,
            Error::BadStream { .. } => ErrorCode::BadStream,
            Error::RateLimited => ErrorCode::RateLimited,
            Error::TooLarge { .. } => ErrorCode::TooLarge,
            _ => ErrorCode::Unexpected,
        }
    }
}
