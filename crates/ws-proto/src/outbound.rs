//! The sending direction: sequence numbers, the bounded replay buffer of unacknowledged
//! frames, and the rewind a resume needs.

use std::collections::VecDeque;

use crate::error::{Error, Result};
use crate::frame::{Data, Seq};

/// Unacknowledged data frames, oldest first, with a cursor for the next one to transmit.
#[derive(Debug)]
pub(crate) struct Outbound {
    /// Frames `acked + 1 ..= last_assigned`, in order.
    buffer: VecDeque<Data>,
    bytes: usize,
    acked: Seq,
    /// Index into `buffer` of the next frame to put on the wire.
    cursor: usize,
    max_messages: usize,
    max_bytes: usize,
}

impl Outbound {
    pub(crate) fn new(max_messages: usize, max_bytes: usize) -> Self {
        Self {
            buffer: VecDeque::new(),
            bytes: 0,
            acked: 0,
            cursor: 0,
            max_messages,
            max_bytes,
        }
    }

    /// Buffers a frame and gives it the next sequence number. `Full` when a bound would be
    /// crossed (a single message larger than `max_bytes` is let in when the buffer is empty,
    /// so that it cannot block forever).
    pub(crate) fn push(&mut self, mut data: Data) -> Result<Seq> {
        let size = data.payload_len();
        let over_bytes = self.bytes + size > self.max_bytes && !self.buffer.is_empty();
        if self.buffer.len() >= self.max_messages || over_bytes {
            return Err(Error::Full {
                messages: self.buffer.len(),
                bytes: self.bytes,
            });
        }
        data.seq = self.last_assigned() + 1;
        self.bytes += size;
        self.buffer.push_back(data);
        Ok(self.last_assigned())
    }

    /// Whether a payload of `size` bytes fits now.
    pub(crate) fn has_room(&self, size: usize) -> bool {
        let over_bytes = self.bytes + size > self.max_bytes && !self.buffer.is_empty();
        self.buffer.len() < self.max_messages && !over_bytes
    }

    /// The next frame to transmit, if any; it stays buffered until acknowledged.
    pub(crate) fn next_to_send(&mut self) -> Option<&Data> {
        let data = self.buffer.get(self.cursor)?;
        self.cursor += 1;
        Some(data)
    }

    /// Whether frames wait to be transmitted.
    pub(crate) fn has_unsent(&self) -> bool {
        self.cursor < self.buffer.len()
    }

    /// Cumulative acknowledgement: frees every frame up to `up_to`.
    pub(crate) fn ack(&mut self, up_to: Seq) -> Result<()> {
        let sent = self.acked + self.cursor as Seq;
        if up_to > sent {
            return Err(Error::AckBeyondSent { acked: up_to, sent });
        }
        while self.acked < up_to {
            if let Some(data) = self.buffer.pop_front() {
                self.bytes -= data.payload_len();
                self.cursor = self.cursor.saturating_sub(1);
            }
            self.acked += 1;
        }
        Ok(())
    }

    /// A new connection where the peer has received up to `peer_last`: frees what it has,
    /// and the next transmission starts right after it.
    pub(crate) fn rewind(&mut self, peer_last: Seq) -> Result<()> {
        if peer_last < self.acked {
            return Err(Error::Unexpected("resume below an acknowledged sequence"));
        }
        let assigned = self.last_assigned();
        if peer_last > assigned {
            return Err(Error::AckBeyondSent {
                acked: peer_last,
                sent: assigned,
            });
        }
        self.cursor = self.buffer.len();
        self.ack(peer_last)?;
        self.cursor = 0;
        Ok(())
    }

    /// The highest sequence number given out.
    pub(crate) fn last_assigned(&self) -> Seq {
        self.acked + self.buffer.len() as Seq
    }

    /// The highest sequence number acknowledged by the peer.
    pub(crate) fn acked(&self) -> Seq {
        self.acked
    }

    /// Frames buffered and bytes of payload they hold.
    pub(crate) fn usage(&self) -> (usize, usize) {
        (self.buffer.len(), self.bytes)
    }
}
