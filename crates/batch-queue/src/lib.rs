//! A transactional outbound queue: nothing leaves the queue until the peer acknowledges it.
//!
//! **The pattern.** Messages are pushed into a bounded queue and numbered (`u64` sequence
//! numbers, consecutive from 1). A sender takes them in batches: taking marks them *in flight*
//! (`Sending`) but keeps them. A cumulative [`Queue::ack`] (or a selective
//! [`Queue::ack_each`]) removes them; a failed send ([`Queue::nack`]) returns them to
//! *pending*, to be retried after an exponential backoff with jitter, until `max_attempts`
//! failures (or the TTL) turn them into *dead letters* that the owner drains with
//! [`Queue::drain_dead_letters`]. After a reconnect, [`Queue::rewind`] returns everything the
//! peer did not receive to pending, in order: the queue is also the replay buffer of a
//! resumable session. This fixes the classic bug of removing messages from the queue before
//! the send is confirmed, which loses a whole batch when the socket fails mid-flush.
//!
//! **The guarantee.** Every pushed message ends exactly once as acked, or as a dead letter
//! with a reason, or is still queued; nothing is removed before its ack. A push that does not
//! fit hands the message back ([`Full`]). Within every batch messages are in ascending
//! sequence order, retransmissions first; first transmissions happen in sequence order. The
//! queue never holds more than `max_messages` messages or `max_bytes` payload bytes,
//! counting undrained dead letters: an owner that never drains them sees pushes refused
//! with [`Bound::DeadLetters`] rather than memory growing without bound.
//!
//! The core is sans-IO: every method takes `now`, nothing reads a clock or sleeps, and the
//! jitter comes from a `SmallRng` seeded from [`Config::seed`]. [`Queue::poll_timeout`] says
//! when to call [`Queue::take_batch`] next. With the `driver` feature (default), [`SharedQueue`]
//! adds an async `push` that waits for room and an async `flush`, and [`Flusher`] runs the
//! take–send–ack/nack loop against a sink.
//!
//! **Defaults** ([`Config`]): 10 000 messages and 1 MiB held; batches of up to 64 messages or
//! 64 KiB, lingering 5 ms for new messages; retry backoff 100 ms doubling to a 10 s cap with
//! full jitter; dead letter after 8 failed sends; no TTL.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use batch_queue::{BatchLimits, Config, Queue};
//!
//! let mut queue: Queue<Vec<u8>> = Queue::new(Config::default())?;
//! let now = Instant::now();
//! queue.try_push(b"hello".to_vec(), now)?;
//! queue.try_push(b"world".to_vec(), now)?;
//! let limits = BatchLimits::default().linger(Duration::ZERO);
//! let batch = queue.take_batch(now, limits);
//! assert_eq!(batch.seqs(), [1, 2]);
//!
//! // The send failed: the messages stay, and come back after a backoff.
//! queue.nack(&batch.seqs(), now)?;
//! assert_eq!(queue.len(), 2);
//! let retry = queue.take_batch(now + Duration::from_secs(1), limits);
//! assert_eq!(retry.retransmissions(), 2);
//!
//! // Only the peer's acknowledgement removes them.
//! queue.ack(2)?;
//! assert!(queue.is_empty());
//! # Ok::<(), batch_queue::Error>(())
//! ```

mod batch;
mod config;
mod dead_letter;
mod error;
mod inspect;
mod payload;
mod queue;
mod stats;
mod take;

#[cfg(feature = "driver")]
mod flusher;
#[cfg(feature = "driver")]
mod shared;

pub use batch::Batch;
pub use config::{BatchLimits, Config};
pub use dead_letter::{DeadLetter, DeadLetterReason};
pub use error::{Bound, Error, Full, Result};
pub use payload::Payload;
pub use queue::{MessageState, Queue};
pub use stats::Stats;

#[cfg(feature = "driver")]
pub use flusher::{AckMode, Flusher, FlusherReport, Sink};
#[cfg(feature = "driver")]
pub use shared::SharedQueue;

/// A message's sequence number: consecutive from 1 in push order.
pub type Seq = u64;

/// Re-exported so that callers can build a [`Config::backoff`] without naming the crate.
pub use backoff::{Backoff, Jitter};

#[cfg(test)]
mod tests;
