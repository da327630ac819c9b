//! Session ownership behind a trait: which subject owns a session, a digest of its resume
//! token, and a fencing epoch that grows with every attach.
//!
//! The embedded default is [`MemoryStore`]. The trait is async and keyed by session id so that
//! a networked backend (Redis, NATS KV) can implement it; the replay buffers themselves stay in
//! the process that runs the session (see `docs/architecture.md`: cross-node resume also needs
//! the replay in the store, which no backend implements yet).

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use parking_lot::Mutex;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use ws_proto::LostReason;

/// What a store keeps about one session.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionRecord {
    /// The session id.
    pub id: String,
    /// The authenticated subject that owns it.
    pub subject: String,
    /// SHA-256 of the resume token: a store never holds the token itself.
    pub token_digest: [u8; 32],
}

impl SessionRecord {
    /// A record for `id` owned by `subject`, resumable with `token`.
    pub fn new(id: impl Into<String>, subject: impl Into<String>, token: &str) -> Self {
        Self { id: id.into(), subject: subject.into(), token_digest: token_digest(token) }
    }
}

/// A successful claim: the new fencing epoch. Whoever attached under an older epoch must stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Claim {
    /// Grows by one with every claim of the session.
    pub epoch: u64,
}

/// A store refused to record a session (for a networked store: unreachable, timeout).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("session store: {0}")]
pub struct StoreError(pub String);

/// Where session ownership lives.
#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// Records a new session.
    async fn create(&self, record: SessionRecord) -> Result<(), StoreError>;
    /// Checks `token` (in constant time) and `subject` against session `id` and bumps its
    /// epoch. [`LostReason::Expired`] when unknown, [`LostReason::Unauthorized`] on mismatch,
    /// and for a session that ended, the reason it ended with (so a client whose close met a
    /// dropped connection learns it was closed).
    async fn claim(&self, id: &str, token: &str, subject: &str) -> Result<Claim, LostReason>;
    /// Marks a session ended with `reason`; the store may forget it after a while.
    async fn end(&self, id: &str, reason: LostReason);
}

/// How long [`MemoryStore`] remembers why a session ended. Default 2 minutes (the default
/// resume window: no client comes back later than that).
pub const DEFAULT_TOMBSTONE_TTL: Duration = Duration::from_secs(120);

#[derive(Debug)]
struct Entry {
    record: SessionRecord,
    epoch: u64,
    ended: Option<LostReason>,
}

/// The embedded in-memory store.
#[derive(Debug)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
    ttl: Duration,
}

#[derive(Debug, Default)]
struct Inner {
    records: HashMap<String, Entry>,
    /// Ended sessions in the order they ended, to forget them after the TTL.
    graves: VecDeque<(Instant, String)>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::with_tombstone_ttl(DEFAULT_TOMBSTONE_TTL)
    }
}

impl MemoryStore {
    /// A store that remembers ended sessions for `ttl`.
    pub fn with_tombstone_ttl(ttl: Duration) -> Self {
        Self { inner: Mutex::new(Inner::default()), ttl }
    }

    /// Sessions known (live or recently ended).
    pub fn len(&self) -> usize {
        self.inner.lock().records.len()
    }

    /// Whether no session is known.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Inner {
    /// Forgets the ended sessions older than `ttl` (amortized: each grave is popped once).
    fn bury(&mut self, now: Instant, ttl: Duration) {
        while let Some((at, _)) = self.graves.front() {
            if now.duration_since(*at) < ttl {
                break;
            }
            if let Some((_, id)) = self.graves.pop_front() {
                self.records.remove(&id);
            }
        }
    }
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn create(&self, record: SessionRecord) -> Result<(), StoreError> {
        let mut inner = self.inner.lock();
        inner.bury(crate::shared::now(), self.ttl);
        inner.records.insert(record.id.clone(), Entry { record, epoch: 0, ended: None });
        Ok(())
    }

    async fn claim(&self, id: &str, token: &str, subject: &str) -> Result<Claim, LostReason> {
        let mut inner = self.inner.lock();
        let entry = inner.records.get_mut(id).ok_or(LostReason::Expired)?;
        let token_ok: bool = entry.record.token_digest.ct_eq(&token_digest(token)).into();
        if !token_ok || entry.record.subject != subject {
            return Err(LostReason::Unauthorized);
        }
        if let Some(reason) = entry.ended {
            return Err(reason);
        }
        entry.epoch += 1;
        Ok(Claim { epoch: entry.epoch })
    }

    async fn end(&self, id: &str, reason: LostReason) {
        let mut inner = self.inner.lock();
        let now = crate::shared::now();
        inner.bury(now, self.ttl);
        if let Some(entry) = inner.records.get_mut(id) {
            entry.ended = Some(reason);
            inner.graves.push_back((now, id.to_owned()));
        }
    }
}

/// SHA-256 of a resume token.
pub fn token_digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn claims_check_token_and_subject_and_bump_the_epoch() {
        let store = MemoryStore::default();
        store.create(SessionRecord::new("s1", "alice", "secret")).await.unwrap();
        assert_eq!(store.claim("s1", "secret", "alice").await, Ok(Claim { epoch: 1 }));
        assert_eq!(store.claim("s1", "secret", "alice").await, Ok(Claim { epoch: 2 }));
        assert_eq!(store.claim("s1", "guess", "alice").await, Err(LostReason::Unauthorized));
        assert_eq!(store.claim("s1", "secret", "mallory").await, Err(LostReason::Unauthorized));
        assert_eq!(store.claim("s2", "secret", "alice").await, Err(LostReason::Expired));
        store.end("s1", LostReason::Closed).await;
        assert_eq!(store.claim("s1", "secret", "alice").await, Err(LostReason::Closed));
        assert_eq!(store.claim("s1", "guess", "alice").await, Err(LostReason::Unauthorized));
    }

    #[tokio::test(start_paused = true)]
    async fn ended_sessions_are_forgotten_after_the_ttl() {
        let store = MemoryStore::with_tombstone_ttl(Duration::from_secs(10));
        store.create(SessionRecord::new("old", "alice", "t")).await.unwrap();
        store.end("old", LostReason::Closed).await;
        tokio::time::advance(Duration::from_secs(11)).await;
        store.create(SessionRecord::new("new", "alice", "t")).await.unwrap();
        assert_eq!(store.len(), 1, "the tombstone was buried");
        assert_eq!(store.claim("old", "t", "alice").await, Err(LostReason::Expired));
    }
}
