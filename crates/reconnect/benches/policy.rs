//! The reconnect hot paths: computing a delay and moving the retry budget.

#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use reconnect::{BudgetConfig, DisconnectCause, Policy, RetryBudget};

fn next_delay(c: &mut Criterion) {
    let policy = Policy::default();
    let mut rng = SmallRng::seed_from_u64(1);
    let mut attempt = 0u32;
    c.bench_function("policy/next_delay", |b| {
        b.iter(|| {
            attempt = (attempt + 1) % 16;
            let cause = DisconnectCause::Unexpected;
            black_box(policy.next_delay(black_box(attempt), cause, Duration::ZERO, &mut rng))
        })
    });
}

fn budget(c: &mut Criterion) {
    let mut budget = RetryBudget::new(BudgetConfig::default()).unwrap();
    let mut now = Instant::now();
    c.bench_function("budget/deposit+withdraw", |b| {
        b.iter(|| {
            // Crossing a bucket now and then exercises rotation too.
            now += Duration::from_millis(7);
            budget.deposit(now);
            black_box(budget.withdraw(now))
        })
    });
}

criterion_group!(benches, next_delay, budget);
criterion_main!(benches);
