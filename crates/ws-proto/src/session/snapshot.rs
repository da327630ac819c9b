//! What a session needs to continue in another process: both directions' cursors and the
//! outbound frames the peer has not acknowledged, and the durability gate that makes a
//! snapshot taken at any time safe to restore.
//!
//! The gate ([`Session::require_durability`], then [`Session::set_durable`] after each
//! store write): acknowledgements never cover more than the durable `delivered` cursor (the
//! peer keeps every unacknowledged frame, so nothing acknowledged can be lost in a crash),
//! and the application is handed nothing beyond the durable `received` bound. After a
//! restore, the messages in `(delivered, received]` may have reached the application before
//! the crash: they are delivered again, and [`Session::is_redelivery`] says so. That window
//! is the only place a message can repeat.
//!
//! The outbound side is the driver's part: a frame must be durable before it is transmitted
//! (or a restored session would reuse its sequence number for another frame).

use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::frame::{Data, Seq};
use crate::session::Session;

/// A session's durable state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Inbound: every message through here was consumed by the application.
    pub delivered: Seq,
    /// Inbound: no message beyond here was handed to the application.
    pub received: Seq,
    /// Outbound: the peer acknowledged every frame through here.
    pub acked: Seq,
    /// Outbound: the frames after `acked`, in order, consecutive.
    pub unacked: Vec<Data>,
}

impl Session {
    /// This session's state now. Restoring it is safe when its inbound cursors are at most
    /// what was last made durable ([`Session::durable_cursors`] gives the values to persist).
    pub fn snapshot(&self) -> Snapshot {
        let (delivered, received) = self.durable_cursors();
        Snapshot {
            delivered,
            received,
            acked: self.outbound.acked(),
            unacked: self.outbound.frames_after(0),
        }
    }

    /// The inbound cursors to persist now: `(consumed by the application, received)`. The
    /// received bound never goes below an earlier life's: what a crashed process may have
    /// handed out stays marked through later restores.
    pub fn durable_cursors(&self) -> (Seq, Seq) {
        let received = self.inbound.last_received().max(self.inbound.redelivered_through());
        (self.inbound.last_consumed(), received)
    }

    /// A session continuing `snapshot`, detached at `now` until the peer resumes. It starts
    /// with durability required and the window `(delivered, received]` marked as
    /// redelivered.
    pub fn restore(config: Config, snapshot: Snapshot, now: Instant) -> Result<Self> {
        let mut session = Session::new(config, now)?;
        session.outbound.start_after(snapshot.acked)?;
        let mut expected = snapshot.acked + 1;
        for data in snapshot.unacked {
            if data.seq != expected {
                return Err(Error::Unexpected("snapshot frames not consecutive after the ack"));
            }
            let fin = data.fin;
            let seq = session.outbound.push(data, now)?;
            session.fin_sent = session.fin_sent.or(fin.then_some(seq));
            expected += 1;
        }
        session.outbound.mark_restored_sent(now)?;
        session.outbound.set_durable_through(expected - 1);
        session.inbound.restore(snapshot.delivered, snapshot.received);
        // The session had a connection before: the next attach is a resume.
        session.stats.attaches = 1;
        Ok(session)
    }

    /// From now on, acknowledge and hand out only what [`Session::set_durable`] covers, and
    /// transmit only what [`Session::set_durable_sent`] covers.
    pub fn require_durability(&mut self) {
        self.inbound.set_durable(0, 0);
        self.outbound.set_durable_through(0);
    }

    /// The store now holds every outbound frame through `seq`: they may be transmitted.
    pub fn set_durable_sent(&mut self, seq: Seq) {
        self.outbound.set_durable_through(seq);
    }

    /// The buffered outbound frames after `seq`, in order: what a store write appends.
    pub fn frames_after(&self, seq: Seq) -> Vec<Data> {
        self.outbound.frames_after(seq)
    }

    /// The store now holds `delivered` and `received` (from [`Session::durable_cursors`]):
    /// acknowledgements up to `delivered` and deliveries up to `received` may go out. A
    /// driver wakes its writer and its application after this.
    pub fn set_durable(&mut self, delivered: Seq, received: Seq) {
        self.inbound.set_durable(delivered, received);
    }

    /// Whether inbound message `seq` may have reached the application before a restore.
    pub fn is_redelivery(&self, seq: Seq) -> bool {
        seq <= self.inbound.redelivered_through()
    }

    /// Whether the next event may be handed out (a message beyond the durable `received`
    /// bound waits for the next [`Session::set_durable`]).
    pub(super) fn releasable_front(&self) -> bool {
        match self.events.front() {
            Some(crate::Event::Message(data) | crate::Event::Chunk(data, _)) => {
                self.inbound.releasable(data.seq)
            }
            _ => true,
        }
    }
}
