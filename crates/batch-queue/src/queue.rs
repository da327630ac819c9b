//! [`Queue`]: the sans-IO transactional queue. Messages stay in it until acked.
//!
//! Storage is one `VecDeque` of slots indexed by `seq - base`: acked or dead messages in the
//! middle leave an empty slot, and empty slots at the front are popped, so push, take and
//! ack are O(1) amortized per message. Messages sent before and waiting to be sent again
//! sit in a small ordered retry set; messages never sent are the contiguous tail from
//! `next_new`.

use std::collections::{BTreeSet, VecDeque};
use std::time::Instant;

use rand::SeedableRng;
use rand::rngs::SmallRng;
use serde::{Deserialize, Serialize};

use crate::batch::Batch;
use crate::config::{BatchLimits, Config};
use crate::dead_letter::{DeadLetter, DeadLetterReason, DeadLetters};
use crate::error::{Bound, Error, Full, Result};
use crate::stats::Counters;
use crate::{Payload, Seq};

/// Where a queued message stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessageState {
    /// Waiting to be taken: never sent, or sent and returned by a nack or a rewind.
    Pending,
    /// Taken in a batch and not yet acked, nacked or rewound.
    Sending,
}

/// One queued message.
#[derive(Debug)]
pub(crate) struct Entry<T> {
    pub(crate) payload: T,
    pub(crate) size: usize,
    pub(crate) state: MessageState,
    pub(crate) sends: u32,
    pub(crate) failures: u32,
    pub(crate) enqueued_at: Instant,
    /// When a returned message may be sent again; unused before the first send.
    pub(crate) ready_at: Instant,
}

/// The transactional outbound queue. See the [crate documentation](crate).
#[derive(Debug)]
pub struct Queue<T> {
    pub(crate) config: Config,
    pub(crate) slots: VecDeque<Option<Entry<T>>>,
    /// The sequence number of `slots[0]`; the front slot is never empty.
    pub(crate) base: Seq,
    /// The first sequence number never taken; every slot from here on is a pending message.
    pub(crate) next_new: Seq,
    /// Pending messages below `next_new`, waiting to be retransmitted.
    pub(crate) retry: BTreeSet<Seq>,
    pub(crate) live_bytes: usize,
    pub(crate) live: usize,
    pub(crate) new_bytes: usize,
    pub(crate) in_flight: usize,
    pub(crate) dead: DeadLetters<T>,
    pub(crate) counters: Counters,
    pub(crate) rng: SmallRng,
}

impl<T: Payload> Default for Queue<T> {
    fn default() -> Self {
        Self::build(Config::default())
    }
}

impl<T: Payload> Queue<T> {
    /// A queue with a validated `config`.
    pub fn new(config: Config) -> Result<Self> {
        config.validate()?;
        Ok(Self::build(config))
    }

    /// Queues `message` and returns its sequence number (consecutive from 1), or hands the
    /// message back if a bound would be exceeded.
    pub fn try_push(&mut self, message: T, now: Instant) -> std::result::Result<Seq, Full<T>> {
        let size = message.size();
        if let Err(bound) = self.check_room(size) {
            self.counters.full_rejections += 1;
            return Err(Full { message, bound });
        }
        let seq = self.next_seq();
        self.slots.push_back(Some(Entry {
            payload: message,
            size,
            state: MessageState::Pending,
            sends: 0,
            failures: 0,
            enqueued_at: now,
            ready_at: now,
        }));
        self.live += 1;
        self.live_bytes += size;
        self.new_bytes += size;
        self.counters.pushed += 1;
        Ok(seq)
    }

    /// Continues the numbering of an earlier queue whose messages through `acked` were all
    /// acknowledged (a session restored elsewhere): the next push gets `acked + 1`. Only an
    /// empty queue can start over; `false` (and no change) otherwise.
    pub fn start_after(&mut self, acked: Seq) -> bool {
        if !self.slots.is_empty() {
            return false;
        }
        self.base = acked + 1;
        self.next_new = acked + 1;
        true
    }

    /// Whether a message of `size` bytes would be accepted now.
    pub fn has_room(&self, size: usize) -> bool {
        self.check_room(size).is_ok()
    }

    /// Whether a push of `size` bytes is refused now but will fit once acks make room.
    pub fn waits_for_acks(&self, size: usize) -> bool {
        self.check_room(size)
            .is_err_and(|bound| matches!(bound, Bound::Messages { .. } | Bound::Bytes { .. }))
    }

    /// Acknowledges every message up to and including `up_to` (cumulative) and returns how
    /// many left the queue. A stale ack is a no-op; an ack beyond the highest sent message is
    /// [`Error::AckBeyondSent`] and changes nothing.
    pub fn ack(&mut self, up_to: Seq) -> Result<usize> {
        self.check_sent(up_to)?;
        let mut acked = 0;
        while self.base <= up_to {
            let Some(slot) = self.slots.pop_front() else {
                break;
            };
            let seq = self.base;
            self.base += 1;
            if let Some(entry) = slot {
                self.settle_acked(seq, &entry);
                acked += 1;
            }
        }
        self.compact_front();
        Ok(acked)
    }

    /// Acknowledges exactly the messages in `seqs` (selective), for sinks whose success is the
    /// confirmation. Returns how many left the queue. Any seq never sent is
    /// [`Error::AckBeyondSent`], checked before anything changes.
    pub fn ack_each(&mut self, seqs: &[Seq]) -> Result<usize> {
        for &seq in seqs {
            self.check_sent(seq)?;
        }
        let mut acked = 0;
        for &seq in seqs {
            if let Some(entry) = self.slot_mut(seq).and_then(Option::take) {
                self.settle_acked(seq, &entry);
                acked += 1;
            }
        }
        self.compact_front();
        Ok(acked)
    }

    /// Reports a failed send of the in-flight messages in `seqs`: each goes back to pending
    /// with one more failure, to be retried after a backoff drawn once for the call, or
    /// becomes a dead letter once `max_attempts` failures are reached. Seqs not in flight
    /// (already acked, nacked or rewound) are ignored; a seq never sent is
    /// [`Error::UnknownSeq`], checked before anything changes. Returns how many were in flight.
    pub fn nack(&mut self, seqs: &[Seq], now: Instant) -> Result<usize> {
        if let Some(&seq) = seqs.iter().find(|&&seq| seq == 0 || seq >= self.next_new) {
            return Err(Error::UnknownSeq { seq });
        }
        let worst = seqs.iter().filter_map(|&s| self.sending(s)).map(|e| e.failures);
        let Some(worst) = worst.max() else {
            return Ok(0);
        };
        let ready_at = now + self.config.backoff.delay(worst, &mut self.rng);
        let mut nacked = 0;
        for &seq in seqs {
            if self.sending(seq).is_some() {
                self.fail_one(seq, ready_at);
                nacked += 1;
            }
        }
        self.compact_front();
        Ok(nacked)
    }

    /// Resumes after a reconnect: acks everything up to `after` (the peer's last received
    /// seq), then returns every in-flight message after it to pending, ready now and in
    /// sequence order, without counting a failure. Costs O(messages sent after `after`).
    /// Returns how many were rewound.
    pub fn rewind(&mut self, after: Seq, now: Instant) -> Result<usize> {
        self.ack(after)?;
        let mut rewound = 0;
        for seq in (after + 1).max(self.base)..self.next_new {
            let index = (seq - self.base) as usize;
            if let Some(Some(entry)) = self.slots.get_mut(index)
                && entry.state == MessageState::Sending
            {
                entry.state = MessageState::Pending;
                entry.ready_at = now;
                self.retry.insert(seq);
                rewound += 1;
            }
        }
        self.in_flight -= rewound;
        Ok(rewound)
    }

    /// Takes the next batch under `limits` and marks its messages in flight, without removing
    /// them. Expired messages become dead letters first. Returns an empty batch unless a batch
    /// is due: a retransmission's backoff has passed, the new messages fill a batch, or the
    /// oldest new message has lingered `limits.linger`. A due batch is filled with ready
    /// retransmissions in sequence order, then new messages in sequence order.
    pub fn take_batch(&mut self, now: Instant, limits: BatchLimits) -> Batch<T>
    where
        T: Clone,
    {
        self.expire(now);
        let mut batch = Batch::default();
        if self.batch_due_at(&limits).is_none_or(|due| due > now) {
            return batch;
        }
        self.take_retries(now, &limits, &mut batch);
        self.take_new(&limits, &mut batch);
        batch
    }

    /// Hands the dead letters to the owner, which frees their room in the bounds.
    pub fn drain_dead_letters(&mut self) -> Vec<DeadLetter<T>> {
        self.dead.drain()
    }
}

impl<T> Queue<T> {
    fn build(config: Config) -> Self {
        Self {
            rng: SmallRng::seed_from_u64(config.seed),
            config,
            slots: VecDeque::new(),
            base: 1,
            next_new: 1,
            retry: BTreeSet::new(),
            live_bytes: 0,
            live: 0,
            new_bytes: 0,
            in_flight: 0,
            dead: DeadLetters::default(),
            counters: Counters::default(),
        }
    }

    fn check_room(&self, size: usize) -> std::result::Result<(), Bound> {
        let (max_messages, limit) = (self.config.max_messages, self.config.max_bytes);
        if size > limit {
            return Err(Bound::TooLarge { size, limit });
        }
        if self.live >= max_messages {
            return Err(Bound::Messages { limit: max_messages });
        }
        if self.live_bytes + size > limit {
            return Err(Bound::Bytes { limit });
        }
        let backlog = self.dead.len();
        if self.live + backlog >= max_messages || self.live_bytes + self.dead.bytes() + size > limit
        {
            return Err(Bound::DeadLetters { backlog });
        }
        Ok(())
    }

    fn check_sent(&self, seq: Seq) -> Result<()> {
        if seq >= self.next_new {
            let highest_sent = self.next_new - 1;
            return Err(Error::AckBeyondSent { seq, highest_sent });
        }
        Ok(())
    }

    fn settle_acked(&mut self, seq: Seq, entry: &Entry<T>) {
        match entry.state {
            MessageState::Sending => self.in_flight -= 1,
            MessageState::Pending => {
                self.retry.remove(&seq);
            }
        }
        self.live -= 1;
        self.live_bytes -= entry.size;
        self.counters.acked += 1;
    }

    fn fail_one(&mut self, seq: Seq, ready_at: Instant) {
        let max_attempts = self.config.max_attempts;
        let Some(entry) = self.slot_mut(seq).and_then(Option::as_mut) else {
            return;
        };
        entry.failures = entry.failures.saturating_add(1);
        let attempts = entry.failures;
        if attempts < max_attempts {
            entry.state = MessageState::Pending;
            entry.ready_at = ready_at;
        }
        self.in_flight -= 1;
        if attempts >= max_attempts {
            self.kill(seq, DeadLetterReason::AttemptsExhausted { attempts });
        } else {
            self.retry.insert(seq);
        }
    }

    /// Moves a queued message to the dead letters; the caller keeps the indexes consistent.
    pub(crate) fn kill(&mut self, seq: Seq, reason: DeadLetterReason) {
        let Some(entry) = self.slot_mut(seq).and_then(Option::take) else {
            return;
        };
        self.live -= 1;
        self.live_bytes -= entry.size;
        self.counters.dead_letters += 1;
        let letter = DeadLetter { seq, message: entry.payload, reason, sends: entry.sends };
        self.dead.push(letter, entry.size);
    }

    /// Pops empty slots at the front, so that `slots[0]` is always a queued message.
    pub(crate) fn compact_front(&mut self) {
        while let Some(None) = self.slots.front() {
            self.slots.pop_front();
            self.base += 1;
        }
    }

    pub(crate) fn slot(&self, seq: Seq) -> Option<&Option<Entry<T>>> {
        let index = usize::try_from(seq.checked_sub(self.base)?).ok()?;
        self.slots.get(index)
    }

    pub(crate) fn slot_mut(&mut self, seq: Seq) -> Option<&mut Option<Entry<T>>> {
        let index = usize::try_from(seq.checked_sub(self.base)?).ok()?;
        self.slots.get_mut(index)
    }

    fn sending(&self, seq: Seq) -> Option<&Entry<T>> {
        let entry = self.slot(seq)?.as_ref()?;
        (entry.state == MessageState::Sending).then_some(entry)
    }
}

#[cfg(test)]
mod tests;
