//! The hot path: admit + record in Closed, and a rejection in Open.
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use circuit_breaker::{Admission, CircuitBreaker, Config, Outcome};
use criterion::{Criterion, criterion_group, criterion_main};

fn closed_admit_record(c: &mut Criterion) {
    let mut breaker = CircuitBreaker::new(Config::default()).unwrap();
    let t0 = Instant::now();
    let mut tick = 0u64;
    c.benchmark_group("circuit_breaker").bench_function("closed_admit_record", |b| {
        b.iter(|| {
            // Time moves 1 ms per call so the window keeps sliding across buckets.
            tick += 1;
            let now = t0 + Duration::from_millis(tick);
            if let Admission::Allowed(permit) = breaker.admit(black_box(now)) {
                breaker.record(permit, black_box(Outcome::Success), now);
            }
        })
    });
}

fn open_rejected(c: &mut Criterion) {
    let mut breaker = CircuitBreaker::new(Config::default().failure_threshold(1)).unwrap();
    let t0 = Instant::now();
    let Admission::Allowed(permit) = breaker.admit(t0) else { panic!("closed breaker rejected") };
    breaker.record(permit, Outcome::Failure, t0);
    c.benchmark_group("circuit_breaker").bench_function("open_rejected", |b| {
        b.iter(|| black_box(breaker.admit(black_box(t0))).is_allowed())
    });
}

criterion_group!(benches, closed_admit_record, open_rejected);
criterion_main!(benches);
