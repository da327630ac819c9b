//! The registry's hot paths: one connection's life, and the ghost scan at growing sizes.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use conn_state::{Config, ConnId, Registry};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

const IDLE: Duration = Duration::from_secs(60);

/// `n` Active connections whose idle deadlines are spread evenly over one idle timeout.
fn staggered(n: u64, t0: Instant) -> (Registry, Duration) {
    let config = Config::default().idle_timeout(IDLE).event_capacity(0);
    let mut registry = Registry::new(config).unwrap();
    let spacing = IDLE / n as u32;
    for id in 0..n {
        registry.open(ConnId(id), t0 + spacing * id as u32).unwrap();
    }
    (registry, spacing)
}

fn lifecycle(c: &mut Criterion) {
    let t0 = Instant::now();
    let (mut registry, _) = staggered(10_000, t0);
    let mut next = 10_000u64;
    c.bench_function("open_touch_close", |b| {
        b.iter(|| {
            let id = ConnId(next);
            next += 1;
            registry.open(id, t0).unwrap();
            registry.touch(id, t0).unwrap();
            registry.begin_close(id, t0).unwrap();
            black_box(registry.close_confirmed(id).unwrap());
        });
    });
}

fn poll_ghosts(c: &mut Criterion) {
    let mut group = c.benchmark_group("poll_ghosts");
    for n in [1_000u64, 100_000, 1_000_000] {
        let t0 = Instant::now();
        let (mut registry, spacing) = staggered(n, t0);
        let mut now = t0 + IDLE - spacing;
        group.bench_with_input(BenchmarkId::new("none_due", n), &n, |b, _| {
            b.iter(|| black_box(registry.poll_ghosts(black_box(now))));
        });
        // Each step makes four connections idle; they are closed and replaced by fresh ones,
        // so the registry stays at `n` connections with `n` deadlines.
        let mut fresh = n;
        group.bench_with_input(BenchmarkId::new("four_due", n), &n, |b, _| {
            b.iter(|| {
                now += spacing * 4;
                for ghost in registry.poll_ghosts(now) {
                    registry.close_confirmed(ghost.id).unwrap();
                    registry.open(ConnId(fresh), now).unwrap();
                    fresh += 1;
                }
            });
        });
        assert_eq!(registry.len() as u64, n);
    }
    group.finish();
}

criterion_group!(benches, lifecycle, poll_ghosts);
criterion_main!(benches);
