//! The sending direction: sequence numbers and the bounded replay buffer of unacknowledged
//! frames, which is the `batch-queue` transactional queue: a frame leaves it only when the
//! peer acknowledges it, and a resume rewinds it to the peer's last received sequence.
//!
//! Within one connection nothing is retransmitted (WebSocket over TCP is ordered and reliable
//! while it lives), so the queue never nacks and never dead-letters: a frame ends acked, or
//! the session ends explicitly.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use batch_queue::{BatchLimits, Payload, Queue};

use crate::error::{Error, Result};
use crate::frame::{Data, Seq};

/// Frames taken from the queue per batch, released at once (no linger: the driver's writes
/// already coalesce what accumulates while it flushes).
fn batch() -> BatchLimits {
    BatchLimits::new(256, usize::MAX, Duration::ZERO)
}

/// Longest message id or stream id, in bytes: with the other fields this keeps a frame within
/// 4 KiB of its payload, the room a peer's message-size limit leaves beyond `max_payload`.
pub const MAX_ID_LEN: usize = 256;

/// A buffered frame. Shared, so that moving it through the queue moves a pointer, not the
/// whole frame (the profile showed those moves as the top cost of a push).
#[derive(Clone, Debug)]
struct Stored(Arc<Data>);

impl Payload for Stored {
    fn size(&self) -> usize {
        self.0.payload_len()
    }
}

/// Unacknowledged data frames.
#[derive(Debug)]
pub(crate) struct Outbound {
    queue: Queue<Stored>,
    /// Frames taken from the queue (in flight for it) and not yet handed to the driver.
    ready: VecDeque<Arc<Data>>,
    acked: Seq,
    /// After a resume: frames up to here already reached the peer (it said so in the
    /// handshake) but stay buffered until it acknowledges them, which it does only once its
    /// application has consumed them. They are not transmitted again.
    skip_through: Seq,
    max_payload: usize,
    /// With a durable store: frames beyond this one are not durable yet and wait.
    durable_through: Option<Seq>,
}

impl Outbound {
    pub(crate) fn new(max_messages: usize, max_payload: usize, max_bytes: usize) -> Result<Self> {
        let config = batch_queue::Config::default()
            .max_messages(max_messages)
            .max_bytes(max_bytes)
            .batch(batch())
            .max_attempts(u32::MAX);
        let queue = Queue::new(config).map_err(|_| Error::Config("replay buffer bounds"))?;
        let ready = VecDeque::new();
        Ok(Self { queue, ready, acked: 0, skip_through: 0, max_payload, durable_through: None })
    }

    /// Buffers a frame and gives it the next sequence number; `Full` when a bound would be
    /// crossed, `TooLarge` when it never fits.
    pub(crate) fn push(&mut self, data: Data, now: Instant) -> Result<Seq> {
        let size = data.payload_len();
        if size > self.max_payload {
            return Err(Error::TooLarge { size, limit: self.max_payload });
        }
        let id_len = data.id.as_ref().map_or(0, String::len);
        let stream_len = data.stream.as_ref().map_or(0, |s| s.id.len());
        if id_len.max(stream_len) > MAX_ID_LEN {
            return Err(Error::IdTooLong { len: id_len.max(stream_len), limit: MAX_ID_LEN });
        }
        let (messages, bytes) = self.usage();
        if !self.queue.has_room(size) {
            return Err(Error::Full { messages, bytes });
        }
        let mut data = data;
        data.seq = self.queue.next_seq();
        let stored = Stored(Arc::new(data));
        self.queue.try_push(stored, now).map_err(|_| Error::Full { messages, bytes })
    }

    /// Whether a payload of `size` bytes fits now.
    pub(crate) fn has_room(&self, size: usize) -> bool {
        self.queue.has_room(size)
    }

    /// Whether a payload of `size` bytes can ever fit.
    pub(crate) fn fits(&self, size: usize) -> bool {
        size <= self.max_payload
    }

    /// The next frame to transmit, if any; it stays buffered until acknowledged.
    pub(crate) fn next_to_send(&mut self, now: Instant) -> Option<Data> {
        if self.ready.is_empty() {
            for (seq, stored) in self.queue.take_batch(now, batch()) {
                if seq > self.skip_through {
                    self.ready.push_back(stored.0);
                }
            }
        }
        if self.ready.front().zip(self.durable_through).is_some_and(|(d, at)| d.seq > at) {
            return None;
        }
        self.ready.pop_front().map(Arc::unwrap_or_clone)
    }

    /// Frames up to `seq` are durable and may be transmitted; later ones wait.
    pub(crate) fn set_durable_through(&mut self, seq: Seq) {
        self.durable_through = Some(seq);
    }

    /// Whether frames wait to be transmitted.
    pub(crate) fn has_unsent(&self) -> bool {
        !self.ready.is_empty() || self.queue.in_flight() < self.queue.len()
    }

    /// Cumulative acknowledgement: frees every frame up to `up_to`.
    pub(crate) fn ack(&mut self, up_to: Seq) -> Result<()> {
        let sent = self.queue.highest_sent() - self.ready.len() as Seq;
        if up_to > sent {
            return Err(Error::AckBeyondSent { acked: up_to, sent });
        }
        self.queue.ack(up_to).map_err(|_| Error::AckBeyondSent { acked: up_to, sent })?;
        self.acked = self.acked.max(up_to);
        Ok(())
    }

    /// A new connection where the peer has received up to `peer_last`: the next transmission
    /// starts right after it; nothing is freed here (only acknowledgements free frames).
    pub(crate) fn rewind(&mut self, peer_last: Seq, now: Instant) -> Result<()> {
        if peer_last < self.acked {
            return Err(Error::Unexpected("resume below an acknowledged sequence"));
        }
        let assigned = self.last_assigned();
        if peer_last > assigned {
            return Err(Error::AckBeyondSent { acked: peer_last, sent: assigned });
        }
        self.ready.clear();
        // Only acknowledgements free frames: what the peer received but has not consumed
        // stays here, so a slow consumer keeps holding the sender back across reconnects.
        let acked = self.acked;
        self.queue
            .rewind(acked, now)
            .map_err(|_| Error::AckBeyondSent { acked, sent: assigned })?;
        self.skip_through = peer_last;
        Ok(())
    }

    /// A restored session: everything through `acked` was acknowledged elsewhere, and the
    /// next frame pushed gets `acked + 1` (the restore then pushes the unacknowledged ones).
    pub(crate) fn start_after(&mut self, acked: Seq) -> Result<()> {
        if !self.queue.start_after(acked) {
            return Err(Error::Unexpected("restore into a used replay buffer"));
        }
        self.acked = acked;
        Ok(())
    }

    /// After a restore pushed the unacknowledged frames: they count as sent once (the peer
    /// may hold them and acknowledge them), and go out again from the resume point.
    pub(crate) fn mark_restored_sent(&mut self, now: Instant) -> Result<()> {
        while !self.queue.take_batch(now, batch()).is_empty() {}
        let acked = self.acked;
        self.queue.rewind(acked, now).map(drop).map_err(|_| Error::Unexpected("restore rewind"))
    }

    /// The buffered frames after `seq`, in order (for a snapshot or a store write).
    pub(crate) fn frames_after(&self, seq: Seq) -> Vec<Data> {
        let last = self.last_assigned();
        let frames = (seq.max(self.acked) + 1..=last).filter_map(|seq| self.queue.get(seq));
        frames.map(|stored| Data::clone(&stored.0)).collect()
    }

    /// The highest sequence number given out.
    pub(crate) fn last_assigned(&self) -> Seq {
        self.queue.next_seq() - 1
    }

    /// The highest sequence number acknowledged by the peer.
    pub(crate) fn acked(&self) -> Seq {
        self.acked
    }

    /// Frames buffered and bytes of payload they hold.
    pub(crate) fn usage(&self) -> (usize, usize) {
        (self.queue.len(), self.queue.bytes())
    }
}
