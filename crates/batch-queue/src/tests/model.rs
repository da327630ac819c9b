//! Random interleavings of push / take / ack / nack / rewind / time against a simple model.
//!
//! The model knows each message's state, failures and age, but not the jittered backoff, so
//! it checks exact outcomes where they are determined (bounds, acks, nacks, rewinds,
//! exhaustion) and properties where they are not (batch order, linger, expiry, liveness).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use proptest::prelude::*;

use crate::{
    Backoff, BatchLimits, Bound, Config, DeadLetterReason, Error, MessageState, Queue, Seq,
};

const MAX_ATTEMPTS: u32 = 3;

#[derive(Clone, Debug)]
enum Op {
    Push(usize),
    Take(usize, usize, u64),
    TakeWhenDue,
    Ack(u64),
    AckEach(Vec<u64>),
    Nack(Vec<u64>),
    Rewind(u64),
    Advance(u64),
    Drain,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0usize..60).prop_map(Op::Push),
        3 => (1usize..6, 1usize..120, 0u64..50).prop_map(|(c, b, l)| Op::Take(c, b, l)),
        1 => Just(Op::TakeWhenDue),
        2 => any::<u64>().prop_map(Op::Ack),
        1 => prop::collection::vec(any::<u64>(), 0..4).prop_map(Op::AckEach),
        2 => prop::collection::vec(any::<u64>(), 0..5).prop_map(Op::Nack),
        1 => any::<u64>().prop_map(Op::Rewind),
        2 => (0u64..400).prop_map(Op::Advance),
        1 => Just(Op::Drain),
    ]
}

#[derive(Clone, Copy, Debug)]
struct Msg {
    size: usize,
    state: MessageState,
    failures: u32,
    sends: u32,
    enqueued: Instant,
}

/// A message that died, with what the model knew when it did.
#[derive(Debug)]
struct Died {
    msg: Msg,
    at: Instant,
}

struct Harness {
    queue: Queue<Vec<u8>>,
    config: Config,
    now: Instant,
    live: BTreeMap<Seq, Msg>,
    dead: BTreeMap<Seq, Died>,
    next_seq: Seq,
    frontier: Seq,
    pushed: u64,
    acked: u64,
    dead_total: u64,
}

fn payload(seq: Seq, size: usize) -> Vec<u8> {
    vec![(seq % 251) as u8; size]
}

impl Harness {
    fn new(ttl: Option<Duration>, seed: u64) -> Self {
        let backoff = Backoff::new(Duration::from_millis(50), Duration::from_millis(400));
        let config = Config::default()
            .max_messages(12)
            .max_bytes(200)
            .max_attempts(MAX_ATTEMPTS)
            .ttl(ttl)
            .seed(seed)
            .backoff(backoff)
            .batch(BatchLimits::new(4, 100, Duration::from_millis(20)));
        let now = Instant::now();
        Harness {
            queue: Queue::new(config).unwrap(),
            config,
            now,
            live: BTreeMap::new(),
            dead: BTreeMap::new(),
            next_seq: 1,
            frontier: 1,
            pushed: 0,
            acked: 0,
            dead_total: 0,
        }
    }

    fn seq_from(&self, raw: u64) -> Seq {
        raw % (self.next_seq + 2)
    }

    fn apply(&mut self, op: Op) {
        match op {
            Op::Push(size) => self.push(size),
            Op::Take(count, bytes, linger) => {
                self.take(BatchLimits::new(count, bytes, Duration::from_millis(linger)))
            }
            Op::TakeWhenDue => self.take_when_due(),
            Op::Ack(raw) => self.ack(self.seq_from(raw)),
            Op::AckEach(raw) => self.ack_each(raw.iter().map(|&r| self.seq_from(r)).collect()),
            Op::Nack(raw) => self.nack(raw.iter().map(|&r| self.seq_from(r)).collect()),
            Op::Rewind(raw) => self.rewind(self.seq_from(raw)),
            Op::Advance(ms) => self.now += Duration::from_millis(ms),
            Op::Drain => self.drain(),
        }
        self.sync();
    }

    fn held(&self) -> (usize, usize) {
        let undrained = self.dead.values().map(|d| d.msg.size);
        let live = self.live.values().map(|m| m.size);
        (self.live.len() + self.dead.len(), live.chain(undrained).sum())
    }

    fn push(&mut self, size: usize) {
        let (count, bytes) = self.held();
        let live_bytes: usize = self.live.values().map(|m| m.size).sum();
        let (max_messages, limit) = (self.config.max_messages, self.config.max_bytes);
        let expected = if size > limit {
            Err(Bound::TooLarge { size, limit })
        } else if self.live.len() >= max_messages {
            Err(Bound::Messages { limit: max_messages })
        } else if live_bytes + size > limit {
            Err(Bound::Bytes { limit })
        } else if count >= max_messages || bytes + size > limit {
            Err(Bound::DeadLetters { backlog: self.dead.len() })
        } else {
            Ok(self.next_seq)
        };
        let got = self.queue.try_push(payload(self.next_seq, size), self.now);
        assert_eq!(got.as_ref().copied().map_err(|full| full.bound), expected);
        if let Err(full) = got {
            assert_eq!(full.message, payload(self.next_seq, size), "the message comes back");
            return;
        }
        let state = MessageState::Pending;
        let msg = Msg { size, state, failures: 0, sends: 0, enqueued: self.now };
        self.live.insert(self.next_seq, msg);
        self.next_seq += 1;
        self.pushed += 1;
    }

    fn take(&mut self, limits: BatchLimits) {
        let batch = self.queue.take_batch(self.now, limits);
        self.sync_deaths();
        self.check_expired_all_gone();
        let seqs = batch.seqs();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "ascending: {seqs:?}");
        assert!(batch.len() <= limits.max_count);
        assert!(batch.len() <= 1 || batch.bytes() <= limits.max_bytes);
        let unsent: Vec<Seq> =
            (self.live.iter()).filter(|(_, m)| m.sends == 0).map(|(&s, _)| s).collect();
        let new: Vec<Seq> = seqs.iter().copied().filter(|&s| s >= self.frontier).collect();
        assert_eq!(new, unsent[..new.len()], "first sends in sequence order");
        let retransmissions = seqs.len() - new.len();
        assert_eq!(batch.retransmissions(), retransmissions);
        self.check_linger(&limits, &unsent, new.len(), retransmissions);
        for (seq, bytes) in batch.items() {
            let msg = self.live.get_mut(seq).expect("a batch holds only queued messages");
            assert_eq!(msg.state, MessageState::Pending);
            assert_eq!(*bytes, payload(*seq, msg.size));
            msg.state = MessageState::Sending;
            msg.sends += 1;
        }
        if let Some(&last) = new.last() {
            self.frontier = self.frontier.max(last + 1);
        }
    }

    /// A batch of only new messages is released when full or lingered; never held back after.
    fn check_linger(&self, limits: &BatchLimits, unsent: &[Seq], taken: usize, retx: usize) {
        let Some(oldest) = unsent.first().map(|s| self.live[s].enqueued) else {
            return;
        };
        let bytes: usize = unsent.iter().map(|s| self.live[s].size).sum();
        let full = unsent.len() >= limits.max_count || bytes >= limits.max_bytes;
        let due = full || self.now >= oldest + limits.linger;
        if retx == 0 {
            assert_eq!(taken > 0, due, "release iff due ({} unsent)", unsent.len());
        }
    }

    fn take_when_due(&mut self) {
        let pending = self.live.values().any(|m| m.state == MessageState::Pending);
        let due = self.queue.poll_timeout();
        assert_eq!(pending, due.is_some(), "a timer whenever something is pending");
        let Some(due) = due else {
            return;
        };
        self.now = self.now.max(due);
        let before = (self.live.len(), self.queue.in_flight());
        self.take(self.config.batch);
        let after = (self.live.len(), self.queue.in_flight());
        assert_ne!(before, after, "a due timer makes progress");
    }

    fn check_expired_all_gone(&self) {
        let Some(ttl) = self.config.ttl else {
            return;
        };
        for (seq, m) in &self.live {
            let stale = m.state == MessageState::Pending && self.now - m.enqueued >= ttl;
            assert!(!stale, "seq {seq} should have expired");
        }
    }

    fn ack(&mut self, up_to: Seq) {
        let got = self.queue.ack(up_to);
        if up_to >= self.frontier {
            let highest_sent = self.frontier - 1;
            assert_eq!(got, Err(Error::AckBeyondSent { seq: up_to, highest_sent }));
            return;
        }
        let acked: Vec<Seq> = self.live.range(..=up_to).map(|(&s, _)| s).collect();
        assert_eq!(got, Ok(acked.len()));
        self.settle(&acked);
    }

    fn settle(&mut self, acked: &[Seq]) {
        for seq in acked {
            self.live.remove(seq);
            self.acked += 1;
        }
    }

    fn ack_each(&mut self, seqs: Vec<Seq>) {
        let got = self.queue.ack_each(&seqs);
        if let Some(&seq) = seqs.iter().find(|&&s| s >= self.frontier) {
            let highest_sent = self.frontier - 1;
            assert_eq!(got, Err(Error::AckBeyondSent { seq, highest_sent }));
            return;
        }
        let mut acked: Vec<Seq> = seqs.into_iter().filter(|s| self.live.contains_key(s)).collect();
        acked.sort_unstable();
        acked.dedup();
        assert_eq!(got, Ok(acked.len()));
        self.settle(&acked);
    }

    fn nack(&mut self, seqs: Vec<Seq>) {
        let got = self.queue.nack(&seqs, self.now);
        if let Some(&seq) = seqs.iter().find(|&&s| s == 0 || s >= self.frontier) {
            assert_eq!(got, Err(Error::UnknownSeq { seq }));
            return;
        }
        let mut nacked = 0;
        for seq in seqs {
            let Some(msg) = self.live.get_mut(&seq) else {
                continue;
            };
            if msg.state == MessageState::Sending {
                msg.state = MessageState::Pending;
                msg.failures += 1;
                nacked += 1;
                if msg.failures >= MAX_ATTEMPTS {
                    let died = Died { msg: *msg, at: self.now };
                    self.live.remove(&seq);
                    self.dead.insert(seq, died);
                    self.dead_total += 1;
                }
            }
        }
        assert_eq!(got, Ok(nacked));
    }

    fn rewind(&mut self, after: Seq) {
        let got = self.queue.rewind(after, self.now);
        if after >= self.frontier {
            let highest_sent = self.frontier - 1;
            assert_eq!(got, Err(Error::AckBeyondSent { seq: after, highest_sent }));
            return;
        }
        let acked: Vec<Seq> = self.live.range(..=after).map(|(&s, _)| s).collect();
        self.settle(&acked);
        let mut rewound = 0;
        for msg in self.live.values_mut().filter(|m| m.state == MessageState::Sending) {
            msg.state = MessageState::Pending;
            rewound += 1;
        }
        assert_eq!(got, Ok(rewound));
    }

    /// Records messages the queue killed on its own (expiry); only pending ones may expire.
    fn sync_deaths(&mut self) {
        let gone: Vec<Seq> =
            (self.live.keys()).copied().filter(|&s| self.queue.state(s).is_none()).collect();
        for seq in gone {
            let msg = self.live.remove(&seq).unwrap_or_else(|| unreachable!());
            assert_eq!(msg.state, MessageState::Pending, "seq {seq} died in flight");
            let ttl = self.config.ttl.expect("only a TTL kills without a nack");
            assert!(self.now - msg.enqueued >= ttl, "seq {seq} died young");
            self.dead.insert(seq, Died { msg, at: self.now });
            self.dead_total += 1;
            if msg.sends == 0 {
                self.frontier = self.frontier.max(seq + 1);
            }
        }
    }

    fn drain(&mut self) {
        let letters = self.queue.drain_dead_letters();
        let mut seqs: Vec<Seq> = letters.iter().map(|l| l.seq).collect();
        seqs.sort_unstable();
        assert_eq!(seqs, self.dead.keys().copied().collect::<Vec<_>>());
        for letter in letters {
            let died = &self.dead[&letter.seq];
            assert_eq!(letter.message, payload(letter.seq, died.msg.size));
            assert_eq!(letter.sends, died.msg.sends);
            match letter.reason {
                DeadLetterReason::AttemptsExhausted { attempts } => {
                    assert_eq!((attempts, died.msg.failures), (MAX_ATTEMPTS, MAX_ATTEMPTS));
                }
                DeadLetterReason::Expired { age } => {
                    assert_eq!(age, died.at - died.msg.enqueued);
                }
            }
        }
        self.dead.clear();
    }

    fn sync(&mut self) {
        let q = &self.queue;
        let in_flight = self.live.values().filter(|m| m.state == MessageState::Sending);
        let bytes: usize = self.live.values().map(|m| m.size).sum();
        assert_eq!(
            (q.len(), q.bytes(), q.in_flight()),
            (self.live.len(), bytes, in_flight.count())
        );
        for (seq, msg) in &self.live {
            assert_eq!(q.state(*seq), Some(msg.state), "seq {seq}");
        }
        assert_eq!(q.dead_letter_backlog(), self.dead.len());
        let (count, held_bytes) = self.held();
        assert!(count <= self.config.max_messages && held_bytes <= self.config.max_bytes);
        assert_eq!((q.next_seq(), q.highest_sent() + 1), (self.next_seq, self.frontier));
        let s = q.stats(self.now);
        assert_eq!((s.pushed, s.acked, s.dead_letters), (self.pushed, self.acked, self.dead_total));
        let settled = self.acked + self.dead_total + self.live.len() as u64;
        assert_eq!(self.pushed, settled, "every message acked, dead, or queued: once");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn queue_matches_model(
        ops in prop::collection::vec(op(), 1..80),
        ttl_ms in prop::option::of(100u64..3_000),
        seed: u64,
    ) {
        let mut h = Harness::new(ttl_ms.map(Duration::from_millis), seed);
        for op in ops {
            h.apply(op);
        }
        h.drain();
        h.sync();
    }
}
