//! The receiving direction: in-order delivery, duplicate suppression and delayed, coalesced
//! acknowledgements (like TCP's delayed ack: one ack covers many frames).
//!
//! An ack covers what the application has *consumed*, not merely what arrived: a slow
//! consumer stops acknowledging, the peer's replay buffer fills, and the peer's `send` waits.
//! That is how backpressure crosses the network without any frame being dropped, and it bounds
//! what this side holds to the peer's replay window.

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
    last_consumed: Seq,
    last_acked: Seq,
    unacked_bytes: usize,
    ack_due: Option<Instant>,
    ack_now: bool,
    /// Set when an ack became due at once or a new ack deadline appeared: the driver's writer
    /// has new work (see [`Inbound::take_wake`]).
    wake: bool,
    ack_delay: Duration,
    ack_every: u64,
    ack_bytes: usize,
    /// With a durable store: `(delivered, received)` as last made durable. Acks never go
    /// beyond `delivered` and the application is handed nothing beyond `received`, so a crash
    /// loses nothing acked and knows which messages it may have handed out already.
    durable: Option<(Seq, Seq)>,
    /// After a restore: messages up to here may have reached the application before.
    redelivered_through: Seq,
    /// Payload bytes received and not yet consumed by the application.
    held: usize,
}

impl Inbound {
    pub(crate) fn new(ack_delay: Duration, ack_every: u64, ack_bytes: usize) -> Self {
        Self {
            last_received: 0,
            last_consumed: 0,
            last_acked: 0,
            unacked_bytes: 0,
            ack_due: None,
            ack_now: false,
            wake: false,
            ack_delay,
            ack_every,
            ack_bytes,
            durable: None,
            redelivered_through: 0,
            held: 0,
        }
    }

    /// What an ack may cover now: everything consumed, or only what is durable.
    fn ack_target(&self) -> Seq {
        self.durable.map_or(self.last_consumed, |(delivered, _)| self.last_consumed.min(delivered))
    }

    /// Whether message `seq` may be handed to the application now.
    pub(crate) fn releasable(&self, seq: Seq) -> bool {
        self.durable.is_none_or(|(_, received)| seq <= received)
    }

    /// The highest sequence number consumed by the application.
    pub(crate) fn last_consumed(&self) -> Seq {
        self.last_consumed
    }

    /// Turns durability on, or records how far it reached: acks up to `delivered` and
    /// deliveries up to `received` are allowed from now on.
    pub(crate) fn set_durable(&mut self, delivered: Seq, received: Seq) {
        self.durable = Some((delivered, received));
        if self.ack_target() > self.last_acked {
            self.wake |= !self.ack_now;
            self.ack_now = true;
        }
    }

    /// A restored session: everything through `delivered` was consumed (and is durable), and
    /// the application may have been handed messages through `received` already.
    pub(crate) fn restore(&mut self, delivered: Seq, received: Seq) {
        self.last_received = delivered;
        self.last_consumed = delivered;
        self.last_acked = delivered;
        self.durable = Some((delivered, delivered));
        self.redelivered_through = received.max(delivered);
    }

    /// Messages up to this sequence number may have reached the application before a restore.
    pub(crate) fn redelivered_through(&self) -> Seq {
        self.redelivered_through
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
            self.ack_now = self.ack_target() > self.last_acked;
            self.wake |= self.ack_now;
            return Ok(Verdict::Duplicate);
        }
        Ok(Verdict::Deliver)
    }

    /// Records the frame that [`Inbound::check`] said to deliver.
    pub(crate) fn commit(&mut self) {
        self.last_received += 1;
    }

    /// A delivered frame of `len` payload bytes waits for the application.
    pub(crate) fn hold(&mut self, len: usize) {
        self.held += len;
    }

    /// Payload bytes received and not yet consumed.
    pub(crate) fn held(&self) -> usize {
        self.held
    }

    /// The application took frame `seq` of `len` payload bytes: schedule its ack.
    pub(crate) fn consumed(&mut self, seq: Seq, len: usize, now: Instant) {
        self.held = self.held.saturating_sub(len);
        self.last_consumed = self.last_consumed.max(seq);
        // With a durable store, the new cursor must be written before it can be acked.
        self.wake |= self.durable.is_some_and(|(delivered, _)| self.last_consumed > delivered);
        if self.ack_target() <= self.last_acked {
            return;
        }
        self.unacked_bytes += len;
        let pending = self.ack_target() - self.last_acked;
        if pending >= self.ack_every || self.unacked_bytes >= self.ack_bytes {
            self.wake |= !self.ack_now;
            self.ack_now = true;
        } else if self.ack_due.is_none() {
            self.ack_due = Some(now + self.ack_delay);
            self.wake = true;
        }
    }

    /// The ack to send now, if one is due.
    pub(crate) fn poll_ack(&mut self, now: Instant) -> Option<Seq> {
        let due = self.ack_now || self.ack_due.is_some_and(|at| at <= now);
        self.ack_now = due && self.ack_target() > self.last_acked;
        self.poll_ack_unchecked()
    }

    /// An ack of everything consumed, now, if anything consumed is unacknowledged (a
    /// connection that is about to close should not leave the peer holding consumed frames).
    pub(crate) fn ack_now(&mut self) -> Option<Seq> {
        self.ack_now = self.ack_target() > self.last_acked;
        self.poll_ack_unchecked()
    }

    fn poll_ack_unchecked(&mut self) -> Option<Seq> {
        if !self.ack_now {
            return None;
        }
        self.ack_now = false;
        self.ack_due = None;
        self.unacked_bytes = 0;
        self.last_acked = self.ack_target();
        Some(self.last_acked)
    }

    /// Whether the writer has new ack work since the last call.
    pub(crate) fn take_wake(&mut self) -> bool {
        std::mem::take(&mut self.wake)
    }

    /// When a delayed ack falls due.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.ack_due
    }

    /// A new connection: the peer keeps every frame until an acknowledgement reaches it, and
    /// the last one may have died with the old connection, so the first thing on the new
    /// connection is an ack of everything consumed (a repeat is harmless: acks are cumulative).
    pub(crate) fn on_attach(&mut self) {
        self.ack_due = None;
        let target = self.ack_target();
        self.ack_now = target > 0;
        self.last_acked = self.last_acked.min(target.saturating_sub(1));
    }
}
