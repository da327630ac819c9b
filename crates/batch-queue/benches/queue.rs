//! The hot path: push + take + ack per message at batch sizes 1 and 64, and the cost of a
//! rewind, which must grow with the messages rewound, not with the messages queued.
//!
//! Payloads are `&'static [u8]`, so the numbers are the queue's own overhead, not allocation.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use batch_queue::{BatchLimits, Config, Queue};
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

static PAYLOAD: [u8; 64] = [7; 64];

fn queue() -> Queue<&'static [u8]> {
    let config = Config::default().max_messages(200_000).max_bytes(64 << 20);
    Queue::new(config).unwrap()
}

fn cycle(c: &mut Criterion) {
    let mut group = c.benchmark_group("push_take_ack");
    let now = Instant::now();
    for batch in [1usize, 64] {
        let limits = BatchLimits::new(batch, usize::MAX, Duration::ZERO);
        let mut q = queue();
        group.throughput(Throughput::Elements(batch as u64));
        group.bench_function(BenchmarkId::new("batch", batch), |b| {
            b.iter(|| {
                for _ in 0..batch {
                    q.try_push(&PAYLOAD[..], now).unwrap();
                }
                let taken = q.take_batch(now, limits);
                let last = taken.last_seq().unwrap();
                black_box(q.ack(last).unwrap())
            })
        });
    }
    group.finish();
}

/// A queue of `queued` messages whose first `in_flight` are in flight, the rest never sent.
fn in_flight_queue(queued: usize, in_flight: usize) -> Queue<&'static [u8]> {
    let now = Instant::now();
    let mut q = queue();
    for _ in 0..queued {
        q.try_push(&PAYLOAD[..], now).unwrap();
    }
    let taken = q.take_batch(now, BatchLimits::new(in_flight, usize::MAX, Duration::ZERO));
    assert_eq!(taken.len(), in_flight);
    q
}

fn rewind(c: &mut Criterion) {
    let mut group = c.benchmark_group("rewind");
    let now = Instant::now();
    for (queued, in_flight) in [(1_000, 1_000), (100_000, 100_000), (1_000, 64), (100_000, 64)] {
        group.throughput(Throughput::Elements(in_flight as u64));
        let id = BenchmarkId::new(format!("{in_flight}_in_flight_of"), queued);
        group.bench_function(id, |b| {
            b.iter_batched_ref(
                || in_flight_queue(queued, in_flight),
                |q| assert_eq!(q.rewind(0, now).unwrap(), in_flight),
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, cycle, rewind);
criterion_main!(benches);
