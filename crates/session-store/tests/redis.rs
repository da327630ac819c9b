//! The contract suite on [`RedisStore`] against a real `redis-server` the harness starts on a
//! free loopback port (and stops on drop). Expiry is Redis's own, so those cases wait.
#![allow(clippy::unwrap_used)]

mod contract;
mod support;

use std::time::Duration;

use session_store::{RedisStore, SessionStore, StoreConfig};
use support::redis::RedisServer;

struct Redis {
    store: RedisStore,
    config: StoreConfig,
    server: RedisServer,
}

impl contract::Backend for Redis {
    async fn open(config: StoreConfig) -> Self {
        let server = RedisServer::start();
        let store = RedisStore::connect(&server.url(), config.clone()).await.unwrap();
        Self { store, config, server }
    }

    fn store(&self) -> &dyn SessionStore {
        &self.store
    }

    async fn advance(&self, by: Duration) {
        // Redis expires keys on its own clock: there is nothing to await but the time.
        tokio::time::sleep(by).await;
    }

    async fn reopen(self) -> Option<Self> {
        let Self { store, config, server } = self;
        drop(store);
        let store = RedisStore::connect(&server.url(), config.clone()).await.unwrap();
        Some(Self { store, config, server })
    }
}

contract_cases!(Redis);

#[tokio::test]
async fn an_unreachable_redis_is_a_backend_error() {
    let server = RedisServer::start();
    let store = RedisStore::connect(&server.url(), contract::config()).await.unwrap();
    store.ping().await.unwrap();
    drop(server);
    let refused = store.create(session_store::SessionRecord::new("s", "alice", "t")).await;
    assert!(matches!(refused, Err(session_store::Error::Backend(_))), "{refused:?}");
    assert!(store.ping().await.is_err());
}

#[tokio::test]
async fn two_stores_on_one_redis_fence_each_other() {
    let server = RedisServer::start();
    let node_a = RedisStore::connect(&server.url(), contract::config()).await.unwrap();
    let node_b = RedisStore::connect(&server.url(), contract::config()).await.unwrap();
    contract::create(&node_a, "s1").await;
    node_a.write("s1", 0, &contract::batch(1..=2)).await.unwrap();
    let claim = node_b.claim("s1", "secret", "alice").await.unwrap();
    contract::check_log(&node_b.load("s1").await.unwrap(), 1..=2);
    let late = node_a.write("s1", 0, &contract::batch(3..=3)).await;
    assert_eq!(late, Err(session_store::Error::Fenced { writer: 0, current: claim.epoch }));
    node_b.write("s1", claim.epoch, &contract::batch(3..=3)).await.unwrap();
    contract::check_log(&node_a.load("s1").await.unwrap(), 1..=3);
}
