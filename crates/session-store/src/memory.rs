//! The in-memory store: the default, for one process. Nothing survives a restart.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use async_trait::async_trait;
use parking_lot::Mutex;
use ws_proto::LostReason;

use crate::clock::{Clock, SystemClock};
use crate::record::{Batch, Claim, Loaded, LogEntry, Meta, SessionRecord, StoreConfig};
use crate::{Result, SessionStore, logic};

#[derive(Debug)]
struct Entry {
    meta: Meta,
    log: VecDeque<LogEntry>,
}

/// The embedded in-memory store.
#[derive(Debug)]
pub struct MemoryStore {
    records: Mutex<HashMap<String, Entry>>,
    config: StoreConfig,
    clock: Arc<dyn Clock>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new(StoreConfig::default())
    }
}

impl MemoryStore {
    /// A store with `config` on the system clock.
    pub fn new(config: StoreConfig) -> Self {
        Self::with_clock(config, Arc::new(SystemClock))
    }

    /// A store with `config` on `clock`.
    pub fn with_clock(config: StoreConfig, clock: Arc<dyn Clock>) -> Self {
        Self { records: Mutex::new(HashMap::new()), config, clock }
    }

    /// A store that remembers ended sessions for `ttl`.
    pub fn with_tombstone_ttl(ttl: std::time::Duration) -> Self {
        Self::new(StoreConfig::default().tombstone_ttl(ttl))
    }

    /// Sessions known (live or recently ended), after forgetting the expired ones.
    pub fn len(&self) -> usize {
        let now = self.clock.now_ms();
        let mut records = self.records.lock();
        records.retain(|_, entry| entry.meta.expires_at_ms > now);
        records.len()
    }

    /// Whether no session is known.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Runs `f` on the live entry of `id` under the lock.
    fn with_live<T>(&self, id: &str, f: impl FnOnce(&mut Entry, u64) -> Result<T>) -> Result<T> {
        let now = self.clock.now_ms();
        let mut records = self.records.lock();
        let live = records.get(id).map(|entry| entry.meta.expires_at_ms > now);
        match (live, records.get_mut(id)) {
            (Some(true), Some(entry)) => f(entry, now),
            _ => {
                records.remove(id);
                Err(crate::Error::Lost(LostReason::Expired))
            }
        }
    }
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn create(&self, record: SessionRecord) -> Result<()> {
        let meta = Meta::new(&record, self.clock.now_ms().saturating_add(self.config.window_ms()));
        self.records.lock().insert(record.id, Entry { meta, log: VecDeque::new() });
        Ok(())
    }

    async fn claim(&self, id: &str, token: &str, subject: &str) -> Result<Claim> {
        self.with_live(id, |entry, now| {
            logic::claim(&mut entry.meta, token, subject, now, &self.config)
        })
    }

    async fn write(&self, id: &str, epoch: u64, batch: &Batch) -> Result<()> {
        self.with_live(id, |entry, now| {
            let through = logic::trim_through(&entry.meta, batch);
            let old = entry.log.iter().take_while(|e| e.seq <= through);
            let trimmed = old.map(|e| e.bytes.len() as u64).sum();
            logic::check_write(&entry.meta, epoch, batch, trimmed, &self.config)?;
            entry.log.extend(batch.append.iter().cloned());
            logic::apply(&mut entry.meta, batch, now, &self.config);
            while entry.log.front().is_some_and(|e| e.seq <= through) {
                if let Some(e) = entry.log.pop_front() {
                    logic::trimmed(&mut entry.meta, e.bytes.len() as u64);
                }
            }
            Ok(())
        })
    }

    async fn load(&self, id: &str) -> Result<Loaded> {
        self.with_live(id, |entry, _| {
            Ok(Loaded { meta: entry.meta.clone(), log: entry.log.iter().cloned().collect() })
        })
    }

    async fn end(&self, id: &str, epoch: u64, reason: LostReason) -> Result<()> {
        let ended = self.with_live(id, |entry, now| {
            logic::end(&mut entry.meta, epoch, reason, now, &self.config)?;
            entry.log.clear();
            Ok(())
        });
        // Ending a session the store already forgot is not an error: the outcome is the same.
        match ended {
            Err(crate::Error::Lost(_)) => Ok(()),
            other => other,
        }
    }
}
