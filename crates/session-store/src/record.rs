//! What a store keeps about a session, and what one write carries.

use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ws_proto::LostReason;

/// A new session's identity, as [`crate::SessionStore::create`] records it.
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
    /// Grows by one with every claim of the session (a new session is at 0).
    pub epoch: u64,
}

/// One outbound message the peer has not acknowledged yet: its sequence number and its
/// encoded frame, opaque to the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    /// The message's sequence number.
    pub seq: u64,
    /// The encoded message.
    pub bytes: Bytes,
}

/// An open outbound stream: its id, the next chunk index and its running digest state, all
/// opaque to the store.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenStream {
    /// The stream id.
    pub id: String,
    /// Index of the next chunk.
    pub next_index: u64,
    /// The digest state, as its owner encodes it.
    pub state: Vec<u8>,
}

/// Both directions' cursors and the rest of a session's small state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// Inbound: the last sequence number delivered to (consumed by) the application.
    pub delivered: u64,
    /// Inbound: no message beyond this one was handed to the application (after a crash,
    /// the messages in `(delivered, received]` are delivered again, marked).
    #[serde(default)]
    pub received: u64,
    /// Outbound: the last sequence number the peer acknowledged; the log is trimmed through it.
    pub peer_acked: u64,
    /// The state-sync version the session last saw.
    pub state_version: u64,
    /// The open outbound streams.
    pub streams: Vec<OpenStream>,
}

/// One write: appends to the outbound log and, optionally, new progress. A server builds one
/// batch per flush of a session (group commit), not one per message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Batch {
    /// Messages to append, in increasing `seq` order after the log's last one.
    pub append: Vec<LogEntry>,
    /// New cursors; the log is trimmed through `peer_acked`.
    pub progress: Option<Progress>,
}

impl Batch {
    /// Appends `bytes` as message `seq`.
    pub fn push(&mut self, seq: u64, bytes: impl Into<Bytes>) -> &mut Self {
        self.append.push(LogEntry { seq, bytes: bytes.into() });
        self
    }

    /// Whether the batch writes nothing.
    pub fn is_empty(&self) -> bool {
        self.append.is_empty() && self.progress.is_none()
    }

    /// Bytes the batch appends.
    pub fn append_bytes(&self) -> u64 {
        self.append.iter().map(|e| e.bytes.len() as u64).sum()
    }
}

/// A session's metadata as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// The owner.
    pub subject: String,
    /// SHA-256 of the resume token.
    pub token_digest: [u8; 32],
    /// The current claim's epoch.
    pub epoch: u64,
    /// Why the session ended, once it did.
    pub ended: Option<LostReason>,
    /// The cursors of the last write that carried them.
    pub progress: Progress,
    /// The last appended sequence number (0 before any).
    pub last_seq: u64,
    /// Bytes in the untrimmed log.
    pub log_bytes: u64,
    /// When the store forgets the session (Unix milliseconds).
    pub expires_at_ms: u64,
}

impl Meta {
    /// A new session's metadata.
    pub fn new(record: &SessionRecord, expires_at_ms: u64) -> Self {
        Self {
            subject: record.subject.clone(),
            token_digest: record.token_digest,
            epoch: 0,
            ended: None,
            progress: Progress::default(),
            last_seq: 0,
            log_bytes: 0,
            expires_at_ms,
        }
    }
}

/// Everything stored for one session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loaded {
    /// The metadata.
    pub meta: Meta,
    /// The untrimmed outbound log, in `seq` order.
    pub log: Vec<LogEntry>,
}

/// Bounds and lifetimes shared by every backend.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreConfig {
    /// How long a session nobody writes or claims stays resumable. Default 2 minutes (the
    /// protocol's default resume window).
    pub resume_window: Duration,
    /// How long the reason a session ended is remembered. Default 2 minutes.
    pub tombstone_ttl: Duration,
    /// Most bytes one session's untrimmed log may hold; a write past it is refused with
    /// [`crate::Error::Full`]. Default 64 MiB.
    pub max_log_bytes: u64,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            resume_window: Duration::from_secs(120),
            tombstone_ttl: crate::DEFAULT_TOMBSTONE_TTL,
            max_log_bytes: 64 << 20,
        }
    }
}

impl StoreConfig {
    /// Sets [`StoreConfig::resume_window`].
    pub fn resume_window(mut self, window: Duration) -> Self {
        self.resume_window = window;
        self
    }

    /// Sets [`StoreConfig::tombstone_ttl`].
    pub fn tombstone_ttl(mut self, ttl: Duration) -> Self {
        self.tombstone_ttl = ttl;
        self
    }

    /// Sets [`StoreConfig::max_log_bytes`].
    pub fn max_log_bytes(mut self, bytes: u64) -> Self {
        self.max_log_bytes = bytes;
        self
    }

    pub(crate) fn window_ms(&self) -> u64 {
        u64::try_from(self.resume_window.as_millis()).unwrap_or(u64::MAX)
    }

    pub(crate) fn tombstone_ms(&self) -> u64 {
        u64::try_from(self.tombstone_ttl.as_millis()).unwrap_or(u64::MAX)
    }
}

/// SHA-256 of a resume token.
pub fn token_digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}
