//! The ws-reliable wire protocol: frames, codecs, and the sans-IO session machine.
//!
//! The pattern: a *session* outlives connections. Each direction numbers its data frames from
//! 1; the receiver acknowledges cumulatively (delayed and coalesced, like TCP); the sender
//! keeps every unacknowledged frame in a bounded replay buffer. When a connection dies, the
//! session detaches and waits for a resume; the resume handshake tells each side what the
//! other has, and each retransmits exactly the rest. This crate knows frames and sequence
//! numbers, never sockets or clocks: time is passed in.
//!
//! The guarantee: within a session, the machine hands every data frame to the application
//! exactly once and in order, across any number of detach/attach cycles, or emits
//! [`Event::Lost`] with a reason. Decoding never panics on any input.
//!
//! ```
//! use std::time::Instant;
//! use ws_proto::{Config, Data, Event, Frame, Session, Transmit};
//!
//! let now = Instant::now();
//! let mut alice = Session::new(Config::default(), now)?;
//! let mut bob = Session::new(Config::default(), now)?;
//! alice.attach(0, now)?;
//! bob.attach(0, now)?;
//! alice.send(Data::new("hello"))?;
//! while let Some(Transmit::Frame(frame)) = alice.poll_transmit(now) {
//!     // Over the wire and back: the JSON codec round-trips every frame.
//!     let frame = ws_proto::json::decode(&ws_proto::json::encode(&frame))?;
//!     bob.handle_frame(frame, now)?;
//! }
//! match bob.poll_event(now) {
//!     Some(Event::Message(data)) => assert_eq!(data.seq, 1),
//!     other => panic!("unexpected {other:?}"),
//! }
//! # Ok::<(), ws_proto::Error>(())
//! ```

pub mod binary;
mod config;
mod error;
mod frame;
mod inbound;
pub mod json;
mod outbound;
pub use outbound::MAX_ID_LEN;
mod session;
mod stream;

pub use config::Config;
pub use error::{Error, ErrorCode, Result};
pub use frame::{
    Ack, Data, ErrorFrame, Frame, Hello, LostReason, Payload, Refresh, RefreshRequest, Resume, Seq,
    SessionLost, StateFrame, StreamPart, Welcome,
};
pub use session::{Event, Phase, Session, Snapshot, Stats, Transmit};
pub use stream::{ChunkStatus, StreamRx, StreamTx};

/// The WebSocket subprotocol for the JSON codec (text messages).
pub const SUBPROTOCOL_JSON: &str = "wsr.v1.json";
/// The WebSocket subprotocol for the binary codec (binary messages).
pub const SUBPROTOCOL_BINARY: &str = "wsr.v1.bin";

#[cfg(test)]
mod tests;
