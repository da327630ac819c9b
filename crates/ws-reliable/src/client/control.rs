//! The client's per-connection control: answers refresh requests from the token provider.

use std::sync::Arc;
use std::time::Instant;

use ws_proto::{Data, ErrorCode, Frame, Refresh};

use crate::client::TokenProvider;
use crate::conn::Control;
use crate::shared::Shared;
use crate::sync::StateCache;

/// Control for the client's connection.
pub(crate) struct ClientControl {
    pub(crate) tokens: Option<TokenProvider>,
    pub(crate) state: Arc<StateCache>,
}

impl Control for ClientControl {
    fn on_frame(&self, frame: Frame, shared: &Arc<Shared>) -> Result<(), ws_proto::Error> {
        match frame {
            Frame::RefreshRequest(_) => {
                let Some(tokens) = self.tokens.clone() else {
                    tracing::warn!("server asked for a token refresh but no token provider is set");
                    return Ok(());
                };
                let shared = Arc::clone(shared);
                tokio::spawn(async move {
                    if let Some(token) = tokens().await {
                        shared.with(|m| m.queue_control(Frame::Refresh(Refresh { token })));
                        shared.wake_conn();
                    }
                });
                Ok(())
            }
            Frame::Error(e) => {
                // The server is about to close; the close ends the connection, not this.
                tracing::warn!(code = e.code, message = %e.message, "server reported an error");
                Ok(())
            }
            _ => Err(ws_proto::Error::Unexpected("frame not allowed from a server")),
        }
    }

    fn on_state(&self, data: &Data, _: &Arc<Shared>) -> Result<(), ws_proto::Error> {
        self.state.on_frame(crate::sync::decode(data)?);
        Ok(())
    }

    fn poll_timeout(&self) -> Option<Instant> {
        None
    }

    fn handle_timeout(&self, _: Instant, _: &Arc<Shared>) -> Option<(ErrorCode, String)> {
        None
    }
}
