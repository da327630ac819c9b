//! Driver tests, all on tokio's paused clock: waiting pushes, flush, the flusher against a
//! sink that fails at random, and shutdown.

use std::future::ready;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use tokio::sync::{mpsc, watch};

use crate::{Backoff, BatchLimits, Bound, Config, Flusher, Seq, SharedQueue};

type Items = Vec<(Seq, Vec<u8>)>;

/// What the sink's far side saw: successful deliveries per sequence number.
#[derive(Default)]
struct Delivered {
    counts: Vec<u32>,
    failures: u64,
}

fn config(max_messages: usize, max_attempts: u32) -> Config {
    Config::default()
        .max_messages(max_messages)
        .max_attempts(max_attempts)
        .backoff(Backoff::new(Duration::from_millis(10), Duration::from_millis(500)))
        .batch(BatchLimits::new(16, 4096, Duration::from_millis(2)))
}

/// A sink that fails `fail_percent` of its calls, seeded, and records what got through.
fn flaky_sink(
    seed: u64,
    fail_percent: u32,
    log: Arc<Mutex<Delivered>>,
) -> impl FnMut(Items) -> std::future::Ready<Result<(), String>> {
    let mut rng = SmallRng::seed_from_u64(seed);
    move |batch| {
        let mut log = log.lock();
        if rng.random_range(0..100) < fail_percent {
            log.failures += 1;
            return ready(Err("injected failure".to_owned()));
        }
        for (seq, payload) in batch {
            assert_eq!(payload, seq.to_le_bytes());
            log.counts[seq as usize] += 1;
        }
        ready(Ok(()))
    }
}

#[tokio::test(start_paused = true)]
async fn flaky_sink_loses_nothing_and_duplicates_nothing() {
    for (seed, fail_percent, max_attempts) in [(1, 20, 8), (2, 50, 3), (3, 90, 2)] {
        const N: u64 = 3_000;
        let queue = SharedQueue::new(config(100, max_attempts)).unwrap();
        let log = Arc::new(Mutex::new(Delivered { counts: vec![0; N as usize + 1], failures: 0 }));
        let sink = flaky_sink(seed, fail_percent, Arc::clone(&log));
        let (stop, stopped) = watch::channel(false);
        let flusher = tokio::spawn(Flusher::new(queue.clone(), sink).ack_on_success().run(stopped));
        let mut dead = Vec::new();
        for seq in 1..=N {
            let mut message = seq.to_le_bytes().to_vec();
            loop {
                match queue.push(message).await {
                    Ok(pushed) => break assert_eq!(pushed, seq),
                    Err(full) => {
                        assert!(matches!(full.bound, Bound::DeadLetters { .. }), "{full}");
                        dead.extend(queue.drain_dead_letters());
                        message = full.message;
                    }
                }
            }
        }
        queue.flush().await;
        dead.extend(queue.drain_dead_letters());
        stop.send(true).unwrap();
        let report = flusher.await.unwrap();
        let log = log.lock();
        let stats = queue.stats();
        assert_eq!(stats.depth, 0);
        for seq in 1..=N {
            let is_dead = dead.iter().any(|d| d.seq == seq);
            let delivered = log.counts[seq as usize];
            assert_eq!(u32::from(!is_dead), delivered, "seq {seq}: delivered once xor dead");
        }
        assert_eq!(stats.acked + dead.len() as u64, N);
        assert_eq!(stats.dead_letters, dead.len() as u64);
        assert_eq!(report.sink_errors, log.failures);
        assert!(report.sink_errors > 0 && report.messages >= N);
        if fail_percent == 90 {
            assert!(!dead.is_empty(), "90% failures with 2 attempts must dead-letter some");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn await_ack_mode_waits_for_the_peer() {
    let queue = SharedQueue::<Vec<u8>>::new(config(1_000, 8)).unwrap();
    let (to_peer, mut peer) = mpsc::unbounded_channel::<Seq>();
    let sink = move |batch: Vec<(Seq, Vec<u8>)>| {
        let sent = batch.iter().all(|(seq, _)| to_peer.send(*seq).is_ok());
        ready(if sent { Ok(()) } else { Err("peer gone") })
    };
    let (stop, stopped) = watch::channel(false);
    let flusher = tokio::spawn(Flusher::new(queue.clone(), sink).run(stopped));
    for i in 0..100u8 {
        queue.push(vec![i]).await.unwrap();
    }
    let peer_queue = queue.clone();
    let acker = tokio::spawn(async move {
        let mut expected = 1;
        while let Some(seq) = peer.recv().await {
            assert_eq!(seq, expected, "in order, no gap, no duplicate");
            expected += 1;
            if seq % 10 == 0 {
                peer_queue.ack(seq).unwrap();
            }
        }
    });
    queue.flush().await;
    let stats = queue.stats();
    assert_eq!((stats.acked, stats.depth, stats.in_flight), (100, 0, 0));
    drop(stop);
    let report = flusher.await.unwrap();
    assert_eq!((report.messages, report.sink_errors), (100, 0));
    acker.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn push_waits_for_room_and_rejects_what_can_never_fit() {
    let queue = SharedQueue::<Vec<u8>>::new(config(2, 8).max_bytes(100)).unwrap();
    queue.push(vec![1]).await.unwrap();
    queue.push(vec![2]).await.unwrap();
    let full = queue.try_push(vec![3]).unwrap_err();
    assert_eq!(full.bound, Bound::Messages { limit: 2 });
    let waiting = tokio::time::timeout(Duration::from_secs(60), queue.push(vec![3])).await;
    assert!(waiting.is_err(), "no room, no flusher: the push waits");
    let pusher = tokio::spawn({
        let queue = queue.clone();
        async move { queue.push(vec![3]).await }
    });
    tokio::task::yield_now().await;
    let batch = queue.update(|q| {
        q.take_batch(
            tokio::time::Instant::now().into_std(),
            BatchLimits::default().linger(Duration::ZERO),
        )
    });
    assert_eq!(batch.seqs(), [1, 2]);
    queue.ack(1).unwrap();
    assert_eq!(pusher.await.unwrap().unwrap(), 3);
    let too_large = queue.push(vec![0; 101]).await.unwrap_err();
    assert!(!too_large.is_transient());
    assert_eq!(queue.stats().full_rejections, 2);
}

#[tokio::test(start_paused = true)]
async fn flusher_stops_on_shutdown_and_keeps_the_rest() {
    let queue = SharedQueue::<Vec<u8>>::new(config(100, u32::MAX)).unwrap();
    let sink = |_batch: Vec<(Seq, Vec<u8>)>| ready(Err::<(), _>("down"));
    let (stop, stopped) = watch::channel(false);
    let flusher = tokio::spawn(Flusher::new(queue.clone(), sink).run(stopped));
    queue.push(vec![1]).await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.send(true).unwrap();
    let report = flusher.await.unwrap();
    assert!(report.sink_errors >= 3, "retried with backoff: {report:?}");
    let stats = queue.stats();
    let kept = (stats.depth, stats.in_flight, stats.dead_letters);
    assert_eq!(kept, (1, 0, 0), "nothing dropped at shutdown, nothing left in flight");
}
