//! Versioned shared state over a session (one JSON document per authenticated subject).
//!
//! State messages ride the session's reliable sequence (data frames marked `state`), so they
//! are exactly once and in order across reconnects like any message; only their consumer
//! differs: the session layer instead of the application. A client starting a session says
//! which version it has (`sync`) and gets the deltas since, or a snapshot when the history no
//! longer reaches back. An update proposes a JSON merge patch against a version; a stale one
//! gets a `conflict` naming the current version and changes nothing.

mod client;
mod hub;

pub use client::SharedState;
pub(crate) use client::StateCache;
pub(crate) use hub::StateHub;

use ws_proto::{Data, LostReason, Payload, StateFrame};

use crate::shared::Shared;

/// What to do when the replay buffer has no room for a state message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WhenFull {
    /// The server must not drop a delta: the peer stopped consuming, so the session ends as
    /// overflowed, explicitly.
    EndSession,
    /// The client's own update is refused (`Error::Full`) and the session goes on.
    Refuse,
}

/// Queues a state message on the session; `false` when it was not queued.
pub(crate) fn send(shared: &Shared, frame: &StateFrame, when_full: WhenFull) -> bool {
    let json = serde_json::to_string(frame).unwrap_or_default();
    let data = Data { state: true, ..Data::new(Payload::Text(json)) };
    let sent = shared.with(|m| {
        if m.has_room(data.payload_len()) {
            return m.send(data).is_ok();
        }
        if when_full == WhenFull::EndSession {
            m.lose(LostReason::BufferOverflow);
        }
        false
    });
    shared.wake_conn();
    shared.wake_app();
    sent
}

/// Decodes a state message's payload.
pub(crate) fn decode(data: &Data) -> Result<StateFrame, ws_proto::Error> {
    match &data.payload {
        Payload::Text(text) => {
            serde_json::from_str(text).map_err(|e| ws_proto::Error::Malformed(e.to_string()))
        }
        Payload::Binary(_) => Err(ws_proto::Error::Malformed("binary state message".to_owned())),
    }
}
