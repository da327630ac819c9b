//! Hot paths: a versioned update and a catch-up on the pure core, with a full history of
//! 1k and 100k deltas (both should be flat per operation), and one synchronizer round with
//! four listeners.

#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;

use async_trait::async_trait;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use serde_json::json;
use state_sync::{
    Apply, Criticality, HistoryConfig, JsonState, Listener, ListenerError, SyncConfig,
    Synchronizer, Version, Versioned,
};

#[derive(Clone, Default)]
struct Sum(i64);

impl Apply for Sum {
    type Delta = i64;

    fn apply(&mut self, delta: &i64) {
        self.0 += delta;
    }
}

/// A full history of `len` deltas, so every update also evicts one.
fn full(len: usize) -> Versioned<Sum> {
    let config = HistoryConfig::default().max_deltas(len).max_bytes(usize::MAX);
    let mut versioned = Versioned::new(Sum(0), config);
    for _ in 0..len {
        versioned.update(versioned.version(), 1).unwrap();
    }
    versioned
}

fn core(c: &mut Criterion) {
    let mut group = c.benchmark_group("state_sync_core");
    for len in [1_000, 100_000] {
        let mut versioned = full(len);
        group.bench_function(BenchmarkId::new("update", len), |b| {
            b.iter(|| versioned.update(versioned.version(), black_box(1)).unwrap())
        });
        group.bench_function(BenchmarkId::new("update+since(v-16)", len), |b| {
            b.iter(|| {
                let version = versioned.update(versioned.version(), black_box(1)).unwrap();
                black_box(versioned.since(version - 16))
            })
        });
    }
    let mut json = Versioned::new(JsonState::empty_object(), HistoryConfig::default());
    let patch = json!({"user": {"name": "ada", "seen": 3}, "room": null});
    group.bench_function("json_update", |b| {
        b.iter(|| json.update(json.version(), patch.clone()).unwrap())
    });
    group.finish();
}

struct Nop;

#[async_trait]
impl Listener<i64> for Nop {
    async fn on_update(&self, version: Version, delta: &i64) -> Result<(), ListenerError> {
        black_box((version, delta));
        Ok(())
    }
}

fn synchronizer(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    let sync = Synchronizer::new(Sum(0), SyncConfig::default()).unwrap();
    for (i, criticality) in
        [Criticality::Critical, Criticality::NonCritical].repeat(2).into_iter().enumerate()
    {
        sync.register(format!("l{i}"), criticality, Nop).unwrap();
    }
    c.bench_function("state_sync_round_4_listeners", |b| {
        b.iter(|| runtime.block_on(sync.update(sync.version(), black_box(1))).unwrap())
    });
}

criterion_group!(benches, core, synchronizer);
criterion_main!(benches);
