//! The receiving direction: in-order delivery, duplicate suppression and delayed, coalesced
//! acknowledgements (like TCP's delayed ack: one ack covers many frames).

use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::frame::Seq;

/// What to do with a received data frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The next frame in order: deliver it.
    Deliver,
    /// Already delivered (a replay overlapping what arrived before the disconnect): drop it.
    Duplicate,
}

/// Receive-side sequencing and ack scheduling.
#[derive(Debug)]
pub(crate) struct Inbound {
    last_received: Seq,
    last_acked: Seq,
    unacked_bytes: usize,
    ack_due: Option<Instant>,
    ack_now: bool,
    ack_delay: Duration,
    ack_every: u64,
    ack_bytes: usize,
}

impl Inbound {
    pub(crate) fn new(ack_delay: Duration, ack_every: u64, ack_bytes: usize) -> Self {
        Self {
            last_received: 0,
            last_acked: 0,
            unacked_bytes: 0,
            ack_due: None,
            ack_now: false,
            ack_delay,
            ack_every,
            ack_bytes,
        }
    }

    /// The highest sequence number received in order.
    pub(crate) fn last_received(&self) -> Seq {
        self.last_received
    }

    /// Classifies data frame `seq`. A duplicate schedules an immediate ack.
    pub(crate) fn check(&mut self, seq: Seq) -> Result<Verdict> {
        let expected = self.last_received + 1;
        if seq > expected {
            return Err(Error::SequenceGap { expected, got: seq });
        }
        if seq < expected {
            // The peer resent what we had: ack at once so it can free its buffer.
            self.ack_now = true;
            return Ok(Verdict::Duplicate);
        }
        Ok(Verdict::Deliver)
    }

    /// Records the frame that [`Inbound::check`] said to deliver, of `len` payload bytes.
    pub(crate) fn commit(&mut self, len: usize, now: Instant) {
        self.last_received += 1;
        self.unacked_bytes += len;
        let pending = self.last_received - self.last_acked;
        if pending >= self.ack_every || self.unacked_bytes >= self.ack_bytes {
            self.ack_now = true;
        } else if self.ack_due.is_none() {
            self.ack_due = Some(now + self.ack_delay);
        }
    }

    /// The ack to send now, if one is due.
    pub(crate) fn poll_ack(&mut self, now: Instant) -> Option<Seq> {
        let due = self.ack_now || self.ack_due.is_some_and(|at| at <= now);
        if !due {
            return None;
        }
        self.ack_now = false;
        self.ack_due = None;
        self.unacked_bytes = 0;
        self.last_acked = self.last_received;
        Some(self.last_received)
    }

    /// When a delayed ack falls due.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.ack_due
    }

    /// A new connection: the peer learned `last_received` from the handshake, so nothing is
    /// owed until new data arrives.
    pub(crate) fn on_attach(&mut self) {
        self.last_acked = self.last_received;
        self.unacked_bytes = 0;
        self.ack_due = None;
        self.ack_now = false;
    }
}
