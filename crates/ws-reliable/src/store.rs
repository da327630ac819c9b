//! Session ownership behind a trait: which subject owns a session, a digest of its resume
//! token, and a fencing epoch that grows with every attach.
//!
//! The embedded default is [`MemoryStore`]. The trait is async and keyed by session id so that
//! a networked backend (Redis, NATS KV) can implement it; the replay buffers themselves stay in
//! the process that runs the session (see `docs/architecture.md`: cross-node resume also needs
//! the replay in the store, which no backend implements yet).

use std::collections::HashMap;

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
    /// epoch; [`LostReason::Expired`] when unknown, [`LostReason::Unauthorized`] on mismatch.
    async fn claim(&self, id: &str, token: &str, subject: &str) -> Result<Claim, LostReason>;
    /// Forgets a session that ended.
    async fn remove(&self, id: &str);
}

/// The embedded in-memory store.
#[derive(Debug, Default)]
pub struct MemoryStore {
    records: Mutex<HashMap<String, (SessionRecord, u64)>>,
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn create(&self, record: SessionRecord) -> Result<(), StoreError> {
        self.records.lock().insert(record.id.clone(), (record, 0));
        Ok(())
    }

    async fn claim(&self, id: &str, token: &str, subject: &str) -> Result<Claim, LostReason> {
        let mut records = self.records.lock();
        let (record, epoch) = records.get_mut(id).ok_or(LostReason::Expired)?;
        let token_ok: bool = record.token_digest.ct_eq(&token_digest(token)).into();
        if !token_ok || record.subject != subject {
            return Err(LostReason::Unauthorized);
        }
        *epoch += 1;
        Ok(Claim { epoch: *epoch })
    }

    async fn remove(&self, id: &str) {
        self.records.lock().remove(id);
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
        store.remove("s1").await;
        assert_eq!(store.claim("s1", "secret", "alice").await, Err(LostReason::Expired));
    }
}
