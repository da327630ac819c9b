//! What the session machine reports: transmissions, events, its phase, counters.

use std::time::Instant;

use crate::frame::{Data, Frame, LostReason};
use crate::stream::ChunkStatus;

/// Something for the driver to write.
#[derive(Clone, Debug, PartialEq)]
pub enum Transmit {
    /// A protocol frame.
    Frame(Frame),
    /// A WebSocket ping (heartbeat).
    Ping,
}

/// Something for the application.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A message, in order, exactly once.
    Message(Data),
    /// A stream chunk, in order, exactly once, with what it means for its stream.
    Chunk(Data, ChunkStatus),
    /// The peer went silent past the heartbeat timeout; the session detached. The driver
    /// should drop the connection.
    PeerSilent,
    /// The session ended; nothing more will be delivered.
    Lost(LostReason),
}

/// Where the session stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// A connection carries the session.
    Attached,
    /// No connection; waiting for a resume since the given instant.
    Detached(Instant),
    /// Ended for the given reason.
    Ended(LostReason),
}

/// Counters of one session.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Data frames transmitted, retransmissions included.
    pub transmitted: u64,
    /// Data frames retransmitted after a resume.
    pub retransmitted: u64,
    /// Data frames delivered to the application.
    pub delivered: u64,
    /// Duplicate data frames dropped on receive.
    pub duplicates: u64,
    /// Ack frames sent.
    pub acks_sent: u64,
    /// Times a connection attached (1 + resumes).
    pub attaches: u64,
}
