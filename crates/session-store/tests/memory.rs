//! The contract suite on [`MemoryStore`], on a manual clock.
#![allow(clippy::unwrap_used)]

mod contract;

use std::sync::Arc;
use std::time::Duration;

use session_store::{ManualClock, MemoryStore, SessionStore, StoreConfig};

struct Memory {
    store: MemoryStore,
    clock: ManualClock,
}

impl contract::Backend for Memory {
    async fn open(config: StoreConfig) -> Self {
        let clock = ManualClock::new(1_000_000);
        Self { store: MemoryStore::with_clock(config, Arc::new(clock.clone())), clock }
    }

    fn store(&self) -> &dyn SessionStore {
        &self.store
    }

    async fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    async fn reopen(self) -> Option<Self> {
        None
    }
}

contract_cases!(Memory);

#[tokio::test]
async fn len_forgets_expired_sessions() {
    let clock = ManualClock::new(0);
    let store = MemoryStore::with_clock(contract::config(), Arc::new(clock.clone()));
    contract::create(&store, "s1").await;
    assert_eq!(store.len(), 1);
    clock.advance(contract::WINDOW);
    assert!(store.is_empty());
}
