//! What the client and the server both build from their configurations: the tungstenite
//! settings, the message-size check and the cross-session dedup window. Living here, neither
//! side's module depends on the other's.

use std::sync::Arc;

use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::error::{Error, Result};

/// A message must fit the largest payload the replay buffer accepts, in either codec: a
/// smaller limit would make the peer refuse a frame the session can never stop resending.
pub(crate) fn check_message_size(max_message: usize, session: &ws_proto::Config) -> Result<()> {
    let largest = session.max_payload.min(session.max_buffered_bytes);
    let needed = largest.saturating_mul(4) / 3 + (4 << 10);
    if max_message < needed {
        let detail = format!(
            "max_message_size {max_message} below {needed} (4/3 of the largest payload + 4 KiB)"
        );
        return Err(Error::Config(detail));
    }
    Ok(())
}

/// The tungstenite settings both sides use.
pub(crate) fn websocket_config(read_buffer: usize, max_message: usize) -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(read_buffer)
        .write_buffer_size(16 << 10)
        .max_write_buffer_size(max_message.saturating_mul(2).max(1 << 20))
        .max_message_size(Some(max_message))
        .max_frame_size(Some(max_message))
}

/// Builds the dedup window a configuration asks for.
pub(crate) fn dedup_window(
    config: Option<&dedup::Config>,
) -> Result<Option<Arc<dedup::ShardedWindow>>> {
    let Some(config) = config else {
        return Ok(None);
    };
    let window =
        dedup::ShardedWindow::new(config.clone()).map_err(|e| Error::Config(e.to_string()))?;
    Ok(Some(Arc::new(window)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(max_message: usize, max_payload: usize, ok: bool) {
        let mut session = ws_proto::Config::default();
        session.max_payload = max_payload;
        assert_eq!(check_message_size(max_message, &session).is_ok(), ok);
    }

    #[test]
    fn the_message_limit_must_hold_the_largest_encoded_payload() {
        check(2 << 20, 1 << 20, true);
        check(1 << 20, 1 << 20, false);
        check((3 << 10) * 4 / 3 + (4 << 10), 3 << 10, true);
        check((3 << 10) * 4 / 3 + (4 << 10) - 1, 3 << 10, false);
        assert!(crate::ServerConfig::default().validate().is_ok());
    }
}
