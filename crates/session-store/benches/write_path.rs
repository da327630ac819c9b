//! The write path: appends per second through `SessionStore::write`, one session with
//! batches of 1, 16 and 256 messages of 64 bytes (each batch also acks the previous one, so
//! the log stays short, as in a live session), and 100 sessions writing batches of 16 at once
//! (where the disk store's group commit shares one fsync among them). Memory, disk (redb,
//! fsync per commit) and Redis (a real redis-server on loopback, no persistence).
#![allow(clippy::unwrap_used, missing_docs)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use session_store::{
    Batch, DiskStore, MemoryStore, Progress, RedisStore, SessionRecord, SessionStore, StoreConfig,
};
use tokio::runtime::Runtime;

const PAYLOAD: [u8; 64] = [7; 64];

/// One session's writer: the next sequence number to append.
struct Writer {
    id: String,
    next: u64,
}

impl Writer {
    fn batch(&mut self, n: u64) -> Batch {
        let mut batch = Batch::default();
        for _ in 0..n {
            batch.push(self.next, PAYLOAD.to_vec());
            self.next += 1;
        }
        let acked = self.next.saturating_sub(n + 1);
        batch.progress =
            Some(Progress { delivered: acked, peer_acked: acked, ..Progress::default() });
        batch
    }
}

fn writers(rt: &Runtime, store: &dyn SessionStore, prefix: &str, n: usize) -> Vec<Writer> {
    (0..n)
        .map(|i| {
            let id = format!("{prefix}-{i}");
            rt.block_on(store.create(SessionRecord::new(&id, "bench", "t"))).unwrap();
            Writer { id, next: 1 }
        })
        .collect()
}

fn bench_store(c: &mut Criterion, rt: &Runtime, name: &str, store: Arc<dyn SessionStore>) {
    let mut group = c.benchmark_group(format!("write/{name}"));
    for n in [1u64, 16, 256] {
        let mut w = writers(rt, store.as_ref(), &format!("one-{n}"), 1);
        group.throughput(Throughput::Elements(n));
        group.bench_function(BenchmarkId::new("1 session", n), |b| {
            b.iter(|| {
                let batch = w[0].batch(n);
                rt.block_on(store.write(&w[0].id, 0, &batch)).unwrap();
            })
        });
    }
    bench_many(&mut group, rt, &store);
    group.finish();
}

fn bench_many(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    rt: &Runtime,
    store: &Arc<dyn SessionStore>,
) {
    let mut ws = writers(rt, store.as_ref(), "many", 100);
    group.throughput(Throughput::Elements(100 * 16));
    group.bench_function(BenchmarkId::new("100 sessions", 16), |b| {
        b.iter(|| {
            let batches: Vec<(String, Batch)> =
                ws.iter_mut().map(|w| (w.id.clone(), w.batch(16))).collect();
            rt.block_on(async {
                let writes = batches.iter().map(|(id, batch)| store.write(id, 0, batch));
                for result in futures_util::future::join_all(writes).await {
                    result.unwrap();
                }
            })
        })
    });
}

fn write_path(c: &mut Criterion) {
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    bench_store(c, &rt, "memory", Arc::new(MemoryStore::default()));
    let dir = support::TempDir::new("bench");
    let disk = DiskStore::open(dir.path(), StoreConfig::default()).unwrap();
    bench_store(c, &rt, "disk", Arc::new(disk));
    let server = support::redis::RedisServer::start();
    let redis = rt.block_on(RedisStore::connect(&server.url(), StoreConfig::default())).unwrap();
    bench_store(c, &rt, "redis", Arc::new(redis));
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(std::time::Duration::from_secs(2)).warm_up_time(std::time::Duration::from_millis(500));
    targets = write_path
}
criterion_main!(benches);
