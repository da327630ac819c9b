//! Unit tests of the queue core, data-driven where the cases are alike.

use std::sync::LazyLock;
use std::time::{Duration, Instant};

use super::*;
use crate::{Backoff, Jitter};

static T0: LazyLock<Instant> = LazyLock::new(Instant::now);

fn at(ms: u64) -> Instant {
    *T0 + Duration::from_millis(ms)
}

fn no_linger() -> BatchLimits {
    BatchLimits::default().linger(Duration::ZERO)
}

/// A queue whose retries wait exactly 100 ms, 200 ms, ... (no jitter).
fn queue(config: Config) -> Queue<Vec<u8>> {
    let backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(10));
    Queue::new(config.backoff(backoff.jitter(Jitter::None))).unwrap()
}

fn fill(q: &mut Queue<Vec<u8>>, sizes: &[usize], now: Instant) {
    for &size in sizes {
        q.try_push(vec![0; size], now).unwrap();
    }
}

#[track_caller]
fn check_push(config: Config, sizes: &[usize], expected: &[std::result::Result<Seq, Bound>]) {
    let mut q = queue(config);
    let got: Vec<_> = sizes
        .iter()
        .map(|&size| q.try_push(vec![7; size], at(0)).map_err(|full| full.bound))
        .collect();
    assert_eq!(got, expected);
    let rejected = expected.iter().filter(|r| r.is_err()).count() as u64;
    assert_eq!(q.stats(at(0)).full_rejections, rejected);
}

#[test]
fn push_respects_count_and_byte_bounds() {
    let small = Config::default().max_messages(2).max_bytes(10);
    let messages = Bound::Messages { limit: 2 };
    let bytes = Bound::Bytes { limit: 10 };
    check_push(small, &[1, 1, 1], &[Ok(1), Ok(2), Err(messages)]);
    check_push(small, &[6, 5, 4], &[Ok(1), Err(bytes), Ok(2)]);
    check_push(small, &[11], &[Err(Bound::TooLarge { size: 11, limit: 10 })]);
    check_push(small, &[10, 0], &[Ok(1), Ok(2)]);
}

#[test]
fn full_hands_the_message_back() {
    let mut q = queue(Config::default().max_messages(1));
    q.try_push(b"a".to_vec(), at(0)).unwrap();
    let full = q.try_push(b"b".to_vec(), at(0)).unwrap_err();
    assert!(full.is_transient());
    assert_eq!(full.into_message(), b"b");
}

#[track_caller]
fn check_take(q: &mut Queue<Vec<u8>>, now: Instant, limits: BatchLimits, seqs: &[Seq]) {
    let batch = q.take_batch(now, limits);
    assert_eq!(batch.seqs(), seqs);
    for seq in seqs {
        assert_eq!(q.state(*seq), Some(MessageState::Sending));
    }
}

#[test]
fn batches_respect_count_bytes_and_linger() {
    let mut q = queue(Config::default());
    fill(&mut q, &[10, 10, 10, 10], at(0));
    let linger = BatchLimits::new(3, 100, Duration::from_millis(5));
    check_take(&mut q, at(0), linger, &[1, 2, 3]); // full by count: no linger
    check_take(&mut q, at(4), linger, &[]); // one left, lingering
    assert_eq!(q.batch_due_at(&linger), Some(at(5)));
    check_take(&mut q, at(5), linger, &[4]);
    fill(&mut q, &[30, 30, 30], at(10));
    let by_bytes = BatchLimits::new(10, 60, Duration::from_secs(1));
    check_take(&mut q, at(10), by_bytes, &[5, 6]); // full by bytes
    check_take(&mut q, at(10), by_bytes, &[]);
    fill(&mut q, &[500], at(10));
    check_take(&mut q, at(2000), by_bytes, &[7]); // 7 waits: 8 alone exceeds the limit
    check_take(&mut q, at(2000), by_bytes, &[8]);
    assert_eq!(q.len(), 8, "taking removes nothing");
}

#[test]
fn acks_remove_and_reject_unsent() {
    let mut q = queue(Config::default());
    fill(&mut q, &[1, 2, 3, 4], at(0));
    assert_eq!(q.ack(1), Err(Error::AckBeyondSent { seq: 1, highest_sent: 0 }));
    check_take(&mut q, at(0), BatchLimits::new(2, 100, Duration::ZERO), &[1, 2]);
    assert_eq!(q.ack(3), Err(Error::AckBeyondSent { seq: 3, highest_sent: 2 }));
    assert_eq!(q.ack_each(&[2, 9]), Err(Error::AckBeyondSent { seq: 9, highest_sent: 2 }));
    assert_eq!((q.len(), q.bytes(), q.in_flight()), (4, 10, 2), "errors change nothing");
    assert_eq!(q.ack_each(&[2]), Ok(1));
    assert_eq!(q.ack(0), Ok(0));
    assert_eq!(q.ack(2), Ok(1));
    assert_eq!(q.ack(2), Ok(0), "duplicate acks are harmless");
    assert_eq!((q.len(), q.bytes(), q.in_flight()), (2, 7, 0));
    assert!(q.settled_through(2) && !q.settled_through(3));
}

#[test]
fn nack_backs_off_then_retransmits_first_in_order() {
    let mut q = queue(Config::default());
    fill(&mut q, &[1; 4], at(0));
    check_take(&mut q, at(0), BatchLimits::new(2, 100, Duration::ZERO), &[1, 2]);
    assert_eq!(q.nack(&[2, 1], at(0)), Ok(2));
    assert_eq!(q.nack(&[1], at(0)), Ok(0), "not in flight any more");
    assert_eq!(q.nack(&[3], at(0)), Err(Error::UnknownSeq { seq: 3 }));
    assert_eq!(q.state(1), Some(MessageState::Pending));
    check_take(&mut q, at(50), no_linger(), &[3, 4]);
    assert_eq!(q.poll_timeout(), Some(at(100)));
    let batch = q.take_batch(at(100), no_linger());
    assert_eq!((batch.seqs(), batch.retransmissions()), (vec![1, 2], 2));
    q.nack(&[1], at(100)).unwrap();
    assert_eq!(q.batch_due_at(&no_linger()), Some(at(300)), "second failure: 200 ms");
    let s = q.stats(at(300));
    assert_eq!((s.sent, s.retries, s.in_flight, s.depth), (6, 2, 3, 4));
}

#[test]
fn attempts_exhausted_become_dead_letters() {
    let mut q = queue(Config::default().max_attempts(2));
    fill(&mut q, &[3, 4], at(0));
    check_take(&mut q, at(0), no_linger(), &[1, 2]);
    q.nack(&[1], at(0)).unwrap();
    check_take(&mut q, at(100), no_linger(), &[1]);
    q.nack(&[1, 2], at(100)).unwrap();
    assert_eq!((q.len(), q.bytes(), q.dead_letter_backlog()), (1, 4, 1));
    assert_eq!(q.stats(at(100)).bytes, 4);
    assert!(!q.has_room(q.config().max_bytes - 3), "dead letters keep their room");
    let dead = q.drain_dead_letters();
    assert_eq!(dead.len(), 1);
    let reason = DeadLetterReason::AttemptsExhausted { attempts: 2 };
    assert_eq!((dead[0].seq, dead[0].reason, dead[0].sends), (1, reason, 2));
    assert!(q.has_room(q.config().max_bytes - 4));
    assert_eq!(q.ack(2), Ok(1));
    assert!(q.is_empty() && q.settled_through(2));
}

#[test]
fn rewind_acks_and_replays_in_flight_in_order() {
    let mut q = queue(Config::default());
    fill(&mut q, &[1; 6], at(0));
    check_take(&mut q, at(0), BatchLimits::new(5, 100, Duration::ZERO), &[1, 2, 3, 4, 5]);
    q.nack(&[4], at(0)).unwrap();
    assert_eq!(q.rewind(7, at(1)), Err(Error::AckBeyondSent { seq: 7, highest_sent: 5 }));
    assert_eq!(q.rewind(2, at(1)), Ok(2), "3 and 5 were in flight; 4 already pending");
    assert_eq!((q.len(), q.in_flight()), (4, 0));
    check_take(&mut q, at(1), no_linger(), &[3, 5, 6]);
    check_take(&mut q, at(100), no_linger(), &[4]);
    assert_eq!(q.stats(at(100)).retries, 3);
    assert_eq!(q.rewind(0, at(100)), Ok(4));
    check_take(&mut q, at(100), no_linger(), &[3, 4, 5, 6]);
}

#[test]
fn pending_messages_expire_but_in_flight_ones_do_not() {
    let mut q = queue(Config::default().ttl(Some(Duration::from_secs(1))));
    fill(&mut q, &[1, 1], at(0));
    check_take(&mut q, at(0), BatchLimits::new(1, 100, Duration::ZERO), &[1]);
    fill(&mut q, &[1], at(500));
    assert_eq!(q.poll_timeout(), Some(at(5)), "2 lingers 5 ms");
    check_take(&mut q, at(1000), BatchLimits::new(1, 9, Duration::ZERO), &[3]);
    assert_eq!(q.state(1), Some(MessageState::Sending), "in flight: not expired");
    q.nack(&[1], at(1000)).unwrap();
    assert_eq!(q.poll_timeout(), Some(at(1000)), "1 expires now");
    check_take(&mut q, at(1000), no_linger(), &[]);
    let reasons: Vec<_> = q.drain_dead_letters().into_iter().map(|d| (d.seq, d.reason)).collect();
    let expired = |ms| DeadLetterReason::Expired { age: Duration::from_millis(ms) };
    assert_eq!(reasons, [(2, expired(1000)), (1, expired(1000))]);
    assert_eq!(q.highest_sent(), 3);
    assert_eq!(q.ack(3), Ok(1));
    assert!(q.is_empty());
}

#[track_caller]
fn check_config(config: Config, field: &str) {
    match Queue::<Vec<u8>>::new(config) {
        Err(Error::InvalidConfig { field: got, .. }) => assert_eq!(got, field),
        Err(Error::Backoff(_)) => assert_eq!("backoff", field),
        other => panic!("expected an error for {field}, got {other:?}"),
    }
}

#[test]
fn invalid_configs_are_rejected() {
    let c = Config::default();
    check_config(c.max_messages(0), "max_messages");
    check_config(c.max_bytes(0), "max_bytes");
    check_config(c.max_attempts(0), "max_attempts");
    check_config(c.ttl(Some(Duration::ZERO)), "ttl");
    check_config(c.batch(BatchLimits::default().max_count(0)), "batch.max_count");
    check_config(c.batch(BatchLimits::default().max_bytes(0)), "batch.max_bytes");
    check_config(c.backoff(Backoff::default().multiplier(0.5)), "backoff");
    assert!(Queue::<String>::new(c).is_ok());
}

#[test]
fn stats_serialize_and_age() {
    let mut q = queue(Config::default());
    assert_eq!(q.stats(at(0)).oldest_unacked_age, None);
    fill(&mut q, &[4], at(0));
    let stats = q.stats(at(250));
    assert_eq!(stats.oldest_unacked_age, Some(Duration::from_millis(250)));
    let json = serde_json::to_value(stats).unwrap();
    assert_eq!(json["depth"], 1);
    assert_eq!(json["pushed"], 1);
    assert_eq!(json["full_rejections"], 0);
}

#[test]
fn undrained_dead_letters_refuse_pushes_until_drained() {
    let mut q = queue(Config::default().max_messages(2).max_attempts(1));
    fill(&mut q, &[1, 1], at(0));
    check_take(&mut q, at(0), no_linger(), &[1, 2]);
    q.nack(&[1], at(0)).unwrap();
    assert!(!q.waits_for_acks(1), "an ack would not help: a drain would");
    let full = q.try_push(vec![3], at(0)).unwrap_err();
    assert_eq!(full.bound, Bound::DeadLetters { backlog: 1 });
    assert!(!full.is_transient());
    assert_eq!(q.drain_dead_letters().len(), 1);
    assert_eq!(q.try_push(vec![3], at(0)).map_err(|f| f.bound), Ok(3));
    assert!(q.waits_for_acks(1), "now only an ack makes room");
}
