//! One monitor round over ten trivial checks: the fixed cost of spawning, timing and reporting.

#![allow(clippy::unwrap_used, missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use perf_monitor::{Monitor, Status, check_fn};

fn round(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    let mut monitor = Monitor::new();
    for i in 0..10 {
        monitor.register(check_fn(format!("check-{i}"), || async { Ok(Status::Healthy) })).unwrap();
    }
    c.bench_function("monitor_round_10_trivial_checks", |b| {
        b.iter(|| runtime.block_on(monitor.run()));
    });
}

criterion_group!(benches, round);
criterion_main!(benches);
