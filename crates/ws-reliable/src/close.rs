//! The one mapping from a WebSocket-layer (tungstenite) read error to the RFC 6455 close
//! code this side answers with (`docs/protocol.md` §13). Errors of the reliable protocol
//! itself (a bad frame, a sequence gap) close with our 4xxx codes instead, after an `error`
//! frame; a transport violation gets only the close frame, because the peer's WebSocket
//! layer is what is broken.

use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::error::ProtocolError;

/// RFC 6455 §7.4.1 protocol error: unmasked client frame, reserved bits, unknown opcode,
/// fragmented or oversized control frame, bad continuation, invalid close frame.
pub const PROTOCOL_ERROR: u16 = 1002;
/// RFC 6455 §7.4.1: a text message (or close reason) that is not valid UTF-8.
pub const INVALID_PAYLOAD: u16 = 1007;
/// RFC 6455 §7.4.1: a message (or frame) over this side's `max_message_size`.
pub const MESSAGE_TOO_BIG: u16 = 1009;

/// How to close after a WebSocket-layer read error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransportClose {
    /// The RFC 6455 close code: [`PROTOCOL_ERROR`], [`INVALID_PAYLOAD`] or
    /// [`MESSAGE_TOO_BIG`].
    pub code: u16,
    /// The close frame's reason text.
    pub reason: &'static str,
}

/// The close code answering `error`, or `None` when the connection itself failed (I/O error,
/// reset, already closed): nothing can be written then, and the session just detaches.
pub fn transport_close(error: &WsError) -> Option<TransportClose> {
    let (code, reason) = match error {
        WsError::Capacity(_) => (MESSAGE_TOO_BIG, "message too big"),
        WsError::Utf8(_) => (INVALID_PAYLOAD, "invalid utf-8"),
        WsError::Protocol(
            ProtocolError::ResetWithoutClosingHandshake
            | ProtocolError::SendAfterClosing
            | ProtocolError::ReceivedAfterClosing,
        ) => return None,
        WsError::Protocol(_) => (PROTOCOL_ERROR, "protocol error"),
        _ => return None,
    };
    Some(TransportClose { code, reason })
}

#[cfg(test)]
mod tests {
    use tokio_tungstenite::tungstenite::error::{CapacityError, ProtocolError};

    use super::*;

    #[track_caller]
    fn check(error: WsError, expected: Option<u16>) {
        assert_eq!(transport_close(&error).map(|c| c.code), expected, "{error:?}");
    }

    #[test]
    fn maps_transport_errors_to_rfc6455_codes() {
        check(WsError::Protocol(ProtocolError::UnmaskedFrameFromClient), Some(1002));
        check(WsError::Protocol(ProtocolError::NonZeroReservedBits), Some(1002));
        check(WsError::Protocol(ProtocolError::UnknownDataFrameType(3)), Some(1002));
        check(WsError::Protocol(ProtocolError::FragmentedControlFrame), Some(1002));
        check(WsError::Utf8("bad".to_owned()), Some(1007));
        let big = CapacityError::MessageTooLong { size: 10, max_size: 5 };
        check(WsError::Capacity(big), Some(1009));
        check(WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake), None);
        check(WsError::ConnectionClosed, None);
        check(WsError::Io(std::io::ErrorKind::BrokenPipe.into()), None);
    }
}
