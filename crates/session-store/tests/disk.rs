//! The contract suite on [`DiskStore`] (redb) in a temporary directory, on a manual clock,
//! plus what only a disk has: damaged records and damaged files.
#![allow(clippy::unwrap_used)]

mod contract;
mod support;

use std::sync::Arc;
use std::time::Duration;

use session_store::disk::{LOG, META};
use session_store::{DiskStore, Error, ManualClock, SessionStore, StoreConfig};
use support::TempDir;

struct Disk {
    store: DiskStore,
    clock: ManualClock,
    config: StoreConfig,
    dir: TempDir,
}

impl contract::Backend for Disk {
    async fn open(config: StoreConfig) -> Self {
        let (dir, clock) = (TempDir::new("contract"), ManualClock::new(1_000_000));
        let store = DiskStore::open_with_clock(dir.path(), config.clone(), Arc::new(clock.clone()));
        Self { store: store.unwrap(), clock, config, dir }
    }

    fn store(&self) -> &dyn SessionStore {
        &self.store
    }

    async fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    async fn reopen(self) -> Option<Self> {
        let Self { store, clock, config, dir } = self;
        drop(store);
        let store = DiskStore::open_with_clock(dir.path(), config.clone(), Arc::new(clock.clone()));
        Some(Self { store: store.unwrap(), clock, config, dir })
    }
}

contract_cases!(Disk);

/// Overwrites one value in the database file with redb itself (the store is closed).
fn damage(dir: &TempDir, f: impl FnOnce(&redb::WriteTransaction)) {
    let db = redb::Database::create(dir.path().join("sessions.redb")).unwrap();
    let txn = db.begin_write().unwrap();
    f(&txn);
    txn.commit().unwrap();
}

#[tokio::test]
async fn a_corrupt_or_truncated_record_loses_that_session_only() {
    let dir = TempDir::new("corrupt");
    let store = DiskStore::open(dir.path(), StoreConfig::default()).unwrap();
    for id in ["good", "bad-meta", "bad-log"] {
        contract::create(&store, id).await;
        store.write(id, 0, &contract::batch(1..=3)).await.unwrap();
    }
    drop(store);
    damage(&dir, |txn| {
        txn.open_table(META).unwrap().insert("bad-meta", &b"{\"subject\": tru"[..]).unwrap();
        txn.open_table(LOG).unwrap().insert(("bad-log", 2), &[9u8, 0, 0, 0, b'x'][..]).unwrap();
    });
    let store = DiskStore::open(dir.path(), StoreConfig::default()).unwrap();
    for id in ["bad-meta", "bad-log"] {
        let loaded = store.load(id).await;
        assert!(matches!(loaded, Err(Error::Corrupt(_))), "{id}: {loaded:?}");
    }
    let claim = store.claim("bad-meta", "secret", "alice").await.unwrap_err();
    assert_eq!(claim.lost_reason(), Some(session_store::LostReason::Expired));
    contract::check_log(&store.load("good").await.unwrap(), 1..=3);
    store.write("good", 0, &contract::batch(4..=4)).await.unwrap();
}

#[tokio::test]
async fn a_damaged_file_is_set_aside_and_the_store_opens_empty() {
    let dir = TempDir::new("damaged");
    let store = DiskStore::open(dir.path(), StoreConfig::default()).unwrap();
    contract::create(&store, "s1").await;
    drop(store);
    let path = dir.path().join("sessions.redb");
    let len = std::fs::metadata(&path).unwrap().len();
    std::fs::write(&path, vec![0xA5u8; len as usize]).unwrap();
    let store = DiskStore::open(dir.path(), StoreConfig::default()).unwrap();
    let aside = store.set_aside().expect("the damaged file was set aside");
    assert!(aside.exists() && aside.starts_with(dir.path()));
    let lost = store.load("s1").await;
    assert_eq!(lost, Err(Error::Lost(session_store::LostReason::Expired)));
    contract::create(&store, "s2").await;
}
