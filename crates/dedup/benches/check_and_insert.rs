//! The hot path, `check_and_insert`, at 1k, 100k and 1M remembered ids, on a single window,
//! on a sharded window from 1 and 2 threads, and against the obvious alternative, a
//! `moka::sync::Cache` with a TTL used as insert-if-absent.
//!
//! Ids are precomputed (hashing a message is the caller's cost, measured once separately), and
//! each workload cycles through a pool twice the window's size so that every id is fresh again
//! by the time it comes back.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use dedup::{Config, MessageId, ShardedWindow, Verdict, Window};

const SIZES: [usize; 3] = [1_000, 100_000, 1_000_000];
/// Simulated time between two messages in the TTL workload.
const STEP: Duration = Duration::from_micros(1);
/// A TTL no workload reaches, so only the capacity bound forgets ids.
const LONG_TTL: Duration = Duration::from_secs(3_600);

fn ids(n: usize) -> Vec<MessageId> {
    (0..n as u64).map(|i| MessageId::explicit(i.to_le_bytes())).collect()
}

/// A cursor cycling through a pool of ids.
struct Cycle {
    pool: Vec<MessageId>,
    next: usize,
}

impl Cycle {
    fn new(pool: Vec<MessageId>) -> Self {
        Self { pool, next: 0 }
    }

    fn next(&mut self) -> MessageId {
        let id = self.pool[self.next];
        self.next = (self.next + 1) % self.pool.len();
        id
    }
}

/// Steady state with TTL expiry: `size` ids live, each call adds one and expires one.
fn window_ttl(c: &mut Criterion) {
    let mut group = c.benchmark_group("window/fresh_ttl_expiry");
    group.throughput(Throughput::Elements(1));
    for size in SIZES {
        let config = Config::default().ttl(STEP * size as u32).max_entries(2 * size);
        let mut window = Window::new(config).unwrap();
        let mut ids = Cycle::new(ids(2 * size));
        let mut now = Instant::now();
        for _ in 0..size {
            now += STEP;
            assert_eq!(window.check_and_insert(ids.next(), now), Verdict::Fresh);
        }
        group.bench_function(BenchmarkId::from_parameter(size), |b| {
            b.iter(|| {
                now += STEP;
                black_box(window.check_and_insert(ids.next(), now))
            });
        });
        assert_eq!(window.stats().duplicates, 0);
    }
    group.finish();
}

/// Steady state at the bound: each call adds one id and evicts the oldest.
fn window_evict(c: &mut Criterion) {
    let mut group = c.benchmark_group("window/fresh_at_bound_evict");
    group.throughput(Throughput::Elements(1));
    for size in SIZES {
        let config = Config::default().ttl(LONG_TTL).max_entries(size);
        let mut window = Window::new(config).unwrap();
        let mut ids = Cycle::new(ids(2 * size));
        let now = Instant::now();
        for _ in 0..size {
            let _ = window.check_and_insert(ids.next(), now);
        }
        group.bench_function(BenchmarkId::from_parameter(size), |b| {
            b.iter(|| black_box(window.check_and_insert(ids.next(), now)));
        });
        assert_eq!(window.stats().duplicates, 0);
    }
    group.finish();
}

/// Every call finds a remembered id.
fn window_duplicate(c: &mut Criterion) {
    let mut group = c.benchmark_group("window/duplicate");
    group.throughput(Throughput::Elements(1));
    for size in SIZES {
        let config = Config::default().ttl(LONG_TTL).max_entries(size);
        let mut window = Window::new(config).unwrap();
        let mut ids = Cycle::new(ids(size));
        let now = Instant::now();
        for _ in 0..size {
            let _ = window.check_and_insert(ids.next(), now);
        }
        group.bench_function(BenchmarkId::from_parameter(size), |b| {
            b.iter(|| black_box(window.check_and_insert(ids.next(), now)));
        });
        assert_eq!(window.stats().fresh, size as u64);
    }
    group.finish();
}

/// A sharded window at the bound, driven by 1 and 2 threads with disjoint id pools.
fn sharded(c: &mut Criterion) {
    let size = 100_000;
    let mut group = c.benchmark_group("sharded/fresh_at_bound_evict_100000");
    for threads in [1usize, 2] {
        let config = Config::default().ttl(LONG_TTL).max_entries(size);
        let window = ShardedWindow::new(config).unwrap();
        let pool = ids(2 * size);
        let mut offset = 0;
        group.throughput(Throughput::Elements(threads as u64));
        group.bench_function(BenchmarkId::new("threads", threads), |b| {
            b.iter_custom(|iters| {
                let elapsed = run_threads(&window, &pool, threads, offset, iters as usize);
                offset += iters as usize;
                elapsed
            });
        });
    }
    group.finish();
}

/// `threads` threads each make `iters` calls, interleaving their positions in `pool`.
fn run_threads(
    window: &ShardedWindow,
    pool: &[MessageId],
    threads: usize,
    offset: usize,
    iters: usize,
) -> Duration {
    let now = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..threads {
            scope.spawn(move || {
                for i in 0..iters {
                    let id = pool[((offset + i) * threads + t) % pool.len()];
                    let _ = black_box(window.check_and_insert(id, now));
                }
            });
        }
    });
    now.elapsed()
}

fn moka_cache(size: usize) -> moka::sync::Cache<MessageId, ()> {
    moka::sync::Cache::builder().max_capacity(size as u64).time_to_live(LONG_TTL).build()
}

/// The same two workloads on moka: `entry(id).or_insert(())`, whose `is_fresh` is the verdict.
fn moka(c: &mut Criterion) {
    for (name, pool_factor) in [("fresh_at_bound_evict", 2), ("duplicate", 1)] {
        let mut group = c.benchmark_group(format!("moka/{name}"));
        group.throughput(Throughput::Elements(1));
        for size in SIZES {
            let cache = moka_cache(size);
            let mut ids = Cycle::new(ids(pool_factor * size));
            for _ in 0..size {
                cache.entry(ids.next()).or_insert(());
            }
            cache.run_pending_tasks();
            group.bench_function(BenchmarkId::from_parameter(size), |b| {
                b.iter(|| black_box(cache.entry(ids.next()).or_insert(()).is_fresh()));
            });
        }
        group.finish();
    }
}

/// What the caller pays to make an id, for scale.
fn make_id(c: &mut Criterion) {
    let payload = vec![b'x'; 256];
    c.bench_function("id/explicit_16_bytes", |b| {
        b.iter(|| MessageId::explicit(black_box("0123456789abcdef")));
    });
    c.bench_function("id/from_content_256_bytes", |b| {
        b.iter(|| MessageId::from_content(black_box(&payload)));
    });
}

criterion_group!(benches, window_ttl, window_evict, window_duplicate, sharded, moka, make_id);
criterion_main!(benches);
