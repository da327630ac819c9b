//! [`Batch`]: the messages released by one [`take_batch`](crate::Queue::take_batch).

use crate::Seq;
use crate::config::BatchLimits;

/// Messages taken for one send, in ascending sequence order: retransmissions first (they have
/// the lower numbers), then messages sent for the first time.
///
/// The queue still holds every message of the batch, marked in flight, until it is acked,
/// nacked or rewound; dropping a batch loses nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch<T> {
    items: Vec<(Seq, T)>,
    bytes: usize,
    retransmissions: usize,
}

impl<T> Default for Batch<T> {
    fn default() -> Self {
        Self { items: Vec::new(), bytes: 0, retransmissions: 0 }
    }
}

impl<T> Batch<T> {
    /// The messages with their sequence numbers, ascending.
    pub fn items(&self) -> &[(Seq, T)] {
        &self.items
    }

    /// The messages with their sequence numbers, ascending, by value.
    pub fn into_items(self) -> Vec<(Seq, T)> {
        self.items
    }

    /// The sequence numbers, ascending: what to pass to `ack_each` or `nack`.
    pub fn seqs(&self) -> Vec<Seq> {
        self.items.iter().map(|(seq, _)| *seq).collect()
    }

    /// How many messages the batch holds.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the batch is empty (nothing was ready).
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The payload bytes of the batch.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// How many messages of the batch were sent before.
    pub fn retransmissions(&self) -> usize {
        self.retransmissions
    }

    /// The highest sequence number in the batch.
    pub fn last_seq(&self) -> Option<Seq> {
        self.items.last().map(|(seq, _)| *seq)
    }

    /// Whether one more message of `size` bytes fits under `limits`. A message larger than
    /// the byte limit fits an empty batch, so that it can go out at all.
    pub(crate) fn fits(&self, size: usize, limits: &BatchLimits) -> bool {
        self.items.len() < limits.max_count
            && (self.items.is_empty() || self.bytes + size <= limits.max_bytes)
    }

    pub(crate) fn push(&mut self, seq: Seq, payload: T, size: usize, retransmission: bool) {
        self.items.push((seq, payload));
        self.bytes += size;
        self.retransmissions += usize::from(retransmission);
    }
}

impl<T> IntoIterator for Batch<T> {
    type Item = (Seq, T);
    type IntoIter = std::vec::IntoIter<(Seq, T)>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}
