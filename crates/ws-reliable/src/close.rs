//! Close codes for violations of the WebSocket layer itself (RFC 6455 §7.4.1), which
//! tungstenite reports as read errors: 1002 for a framing violation (reserved bits or
//! opcodes, an unmasked client frame, a fragmented or oversized control frame, a continuation
//! with nothing to continue, an invalid close code), 1007 for text that is not UTF-8, 1009 for a
//! message over the size limit. The reliable protocol's own errors keep their 4xxx codes
//! (`ws_proto::ErrorCode`); `docs/protocol.md` §13 has the one table of both.

use tokio_tungstenite::tungstenite::error::{CapacityError, Error as WsError, ProtocolError};

/// RFC 6455 "protocol error".
pub(crate) const PROTOCOL_ERROR: u16 = 1002;
/// RFC 6455 "invalid frame payload data" (text that is not UTF-8).
pub(crate) const INVALID_PAYLOAD: u16 = 1007;
/// RFC 6455 "message too big".
pub(crate) const MESSAGE_TOO_BIG: u16 = 1009;

/// How to close a connection whose peer broke the WebSocket layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TransportClose {
    /// The RFC 6455 close code.
    pub(crate) code: u16,
    /// The close reason (at most 123 bytes, as a close frame allows).
    pub(crate) reason: String,
    /// The message was over the size limit: a resend after a resume would meet the same
    /// limit, so the session ends too.
    pub(crate) too_large: bool,
}

/// The close for a read error, or `None` when the error is the network's (reset, EOF, I/O),
/// where there is nobody to tell.
pub(crate) fn transport_close(e: &WsError) -> Option<TransportClose> {
    let (code, too_large) = match e {
        WsError::Protocol(
            ProtocolError::ResetWithoutClosingHandshake
            | ProtocolError::SendAfterClosing
            | ProtocolError::ReceivedAfterClosing,
        ) => return None,
        WsError::Protocol(_) => (PROTOCOL_ERROR, false),
        WsError::Utf8(_) => (INVALID_PAYLOAD, false),
        WsError::Capacity(CapacityError::MessageTooLong { .. }) => (MESSAGE_TOO_BIG, true),
        WsError::Capacity(_) => (MESSAGE_TOO_BIG, false),
        _ => return None,
    };
    Some(TransportClose { code, reason: truncate(e.to_string(), 123), too_large })
}

/// `s` cut to at most `max` bytes on a character boundary.
fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(e: WsError, code: Option<u16>) {
        assert_eq!(transport_close(&e).map(|c| c.code), code, "{e}");
    }

    #[test]
    fn each_violation_has_its_rfc_code_and_network_errors_none() {
        check(WsError::Protocol(ProtocolError::NonZeroReservedBits), Some(1002));
        check(WsError::Protocol(ProtocolError::UnmaskedFrameFromClient), Some(1002));
        check(WsError::Protocol(ProtocolError::FragmentedControlFrame), Some(1002));
        check(WsError::Utf8(String::from("bad")), Some(1007));
        check(
            WsError::Capacity(CapacityError::MessageTooLong { size: 3, max_size: 2 }),
            Some(1009),
        );
        check(WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake), None);
        check(WsError::ConnectionClosed, None);
        check(WsError::Io(std::io::Error::other("reset")), None);
    }

    #[test]
    fn only_too_long_messages_end_the_session_and_reasons_fit_a_close_frame() {
        let long = transport_close(&WsError::Capacity(CapacityError::MessageTooLong {
            size: 3,
            max_size: 2,
        }));
        assert!(long.is_some_and(|c| c.too_large));
        let utf8 = transport_close(&WsError::Utf8("é".repeat(200))).unwrap();
        assert!(!utf8.too_large && utf8.reason.len() <= 123);
        assert_eq!(truncate("é".repeat(100), 5), "éé");
    }
}
