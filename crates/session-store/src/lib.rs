//! Durable session state behind one fenced trait.
//!
//! A reliable session that must outlive the process running it needs its state outside that
//! process: who owns it (subject, a digest of its resume token), the fencing epoch of the
//! current claim, both directions' cursors, the state-sync version, the open streams, and the
//! outbound log of messages the peer has not acknowledged yet. [`SessionStore`] is that state,
//! keyed by session id, with three backends that pass one contract suite (`tests/contract`):
//!
//! | backend | feature | for |
//! |---|---|---|
//! | [`MemoryStore`] | (always) | one process; the default; nothing survives a restart |
//! | `DiskStore` (redb) | `disk` | one node that must survive its own restart or crash |
//! | `RedisStore` | `redis` | several nodes sharing sessions (resume on any node) |
//!
//! Fencing: every claim bumps the session's epoch and every write carries the writer's epoch;
//! a store refuses ([`Error::Fenced`]) a write whose epoch is not the current one, so a node
//! that lost a session (it was partitioned, or presumed dead and came back) can never write
//! over the node that took it. A write is a [`Batch`]: appends to the log, new cursors, and
//! the trim they imply, applied atomically with one round trip (one fsync, one Lua call).

mod clock;
mod error;
mod logic;
mod memory;
mod record;

#[cfg(feature = "disk")]
pub mod disk;
#[cfg(feature = "redis")]
pub mod redis;

use async_trait::async_trait;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Error, Result};
pub use memory::MemoryStore;
pub use record::{
    Batch, Claim, Loaded, LogEntry, Meta, OpenStream, Progress, SessionRecord, StoreConfig,
    token_digest,
};
pub use ws_proto::LostReason;

#[cfg(feature = "disk")]
pub use disk::DiskStore;
#[cfg(feature = "redis")]
pub use redis::RedisStore;

/// How long a store remembers why a session ended. Default 2 minutes (the default resume
/// window: no client comes back later than that).
pub const DEFAULT_TOMBSTONE_TTL: std::time::Duration = std::time::Duration::from_secs(120);

/// Where session state lives.
///
/// Every method is one atomic step in the backend (a mutex, a write transaction, a Lua
/// script). Implementations are shared by every task of a server, so they take `&self`.
#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// Records a new session at epoch 0 with empty cursors and log.
    async fn create(&self, record: SessionRecord) -> Result<()>;

    /// Checks `token` and `subject` against session `id` and bumps its epoch: the caller now
    /// owns the session and writes with the returned epoch. [`Error::Lost`] with
    /// [`LostReason::Expired`] when unknown or past its resume window,
    /// [`LostReason::Unauthorized`] on a mismatch, and for a session that ended, the reason it
    /// ended with.
    async fn claim(&self, id: &str, token: &str, subject: &str) -> Result<Claim>;

    /// Applies `batch` to session `id` as the owner at `epoch`, atomically: the appends, then
    /// the progress, then the trim of the log through the peer's ack. Refused with
    /// [`Error::Fenced`] when `epoch` is not the current claim's, [`Error::OutOfOrder`] when
    /// an append does not follow the last one. Also refreshes the resume window.
    async fn write(&self, id: &str, epoch: u64, batch: &Batch) -> Result<()>;

    /// Everything stored for session `id`: metadata and the untrimmed log, in order.
    /// [`Error::Corrupt`] when its record cannot be read back (the session is lost).
    async fn load(&self, id: &str) -> Result<Loaded>;

    /// Marks session `id` ended with `reason` and drops its log, as the owner at `epoch`
    /// ([`Error::Fenced`] otherwise: a node that lost the session must not end it for the
    /// node that took it). The store remembers the reason for the tombstone TTL, then
    /// forgets the session. Ending a session the store does not know is not an error.
    async fn end(&self, id: &str, epoch: u64, reason: LostReason) -> Result<()>;

    /// Whether the state survives this process (a server then persists every session's
    /// cursors and outbound frames before acknowledging them). `false` by default.
    fn durable(&self) -> bool {
        false
    }
}
