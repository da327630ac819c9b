//! Many threads presenting overlapping ids to one `ShardedWindow`: each id is fresh exactly once.
#![allow(clippy::unwrap_used)]

use std::sync::Barrier;
use std::time::{Duration, Instant};

use dedup::{Config, MessageId, ShardedWindow, Verdict};

const THREADS: usize = 8;
const IDS: u32 = 5_000;

#[test]
fn each_id_is_fresh_exactly_once_across_threads() {
    let config = Config::default().shards(8).max_entries(100_000);
    let window = ShardedWindow::new(config).unwrap();
    let ids: Vec<_> = (0..IDS).map(|i| MessageId::explicit(i.to_le_bytes())).collect();
    let barrier = Barrier::new(THREADS);
    let t0 = Instant::now();
    let fresh_per_thread: Vec<Vec<u32>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let (window, ids, barrier) = (&window, &ids, &barrier);
                scope.spawn(move || {
                    barrier.wait();
                    // Each thread walks the ids from a different start so that they collide.
                    let start = t * IDS as usize / THREADS;
                    let mut fresh = Vec::new();
                    for k in 0..IDS as usize {
                        let i = (start + k) % IDS as usize;
                        let now = t0 + Duration::from_micros(k as u64);
                        if window.check_and_insert(ids[i], now) == Verdict::Fresh {
                            fresh.push(i as u32);
                        }
                    }
                    fresh
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut counts = vec![0u32; IDS as usize];
    for i in fresh_per_thread.into_iter().flatten() {
        counts[i as usize] += 1;
    }
    assert!(counts.iter().all(|&c| c == 1), "some id was not fresh exactly once");
    let stats = window.stats();
    assert_eq!(stats.fresh, u64::from(IDS));
    assert_eq!(stats.duplicates, u64::from(IDS) * (THREADS as u64 - 1));
    assert_eq!((stats.expired, stats.evicted_early, stats.rejected), (0, 0, 0));
    assert_eq!(window.len(), IDS as usize);
}
