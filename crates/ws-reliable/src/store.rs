//! Session state behind a trait: ownership, a digest of the resume token, a fencing epoch that
//! grows with every claim, both directions' cursors and the outbound log.
//!
//! The trait and its backends live in the `session-store` crate; this module re-exports them
//! so that `ws_reliable::store` stays the place to find them. The default is [`MemoryStore`];
//! the on-disk store (`DiskStore`, feature `store-disk`) and the Redis store (`RedisStore`,
//! feature `store-redis`) let a session outlive its process.

pub use session_store::{
    Batch, Claim, Clock, DEFAULT_TOMBSTONE_TTL, Error as StoreError, Loaded, LogEntry, ManualClock,
    MemoryStore, Meta, OpenStream, Progress, SessionRecord, SessionStore, StoreConfig, SystemClock,
    token_digest,
};

#[cfg(feature = "store-disk")]
pub use session_store::DiskStore;
#[cfg(feature = "store-redis")]
pub use session_store::RedisStore;
