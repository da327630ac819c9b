//! The hot-path cost of recording one sent message: facade call without a recorder plus atomics.

#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ws_metrics::Metrics;

fn message_sent(c: &mut Criterion) {
    let metrics = Metrics::new();
    c.bench_function("message_sent_no_recorder", |b| {
        b.iter(|| metrics.message_sent(black_box(512)));
    });
    c.bench_function("client_message_sent_no_recorder", |b| {
        b.iter(|| metrics.client_message_sent(black_box("client-42")));
    });
}

criterion_group!(benches, message_sent);
criterion_main!(benches);
