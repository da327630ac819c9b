//! Message ids: an explicit id from the caller, or the SHA-256 of the content when there is none.
//!
//! Every id is stored as one fixed 32-byte SHA-256 digest, whichever way it was made. Hashing
//! explicit ids too (instead of storing their bytes) keeps every entry the same size, so the
//! memory bound of a window is exact, and makes the key uniformly distributed, so sharding and
//! table hashing can read it directly. The digest input starts with a domain byte (explicit or
//! content), so an explicit id never collides with a content digest; two different inputs get
//! the same key only through a SHA-256 collision.

use std::fmt;
use std::hash::{Hash, Hasher};

use sha2::{Digest, Sha256};

/// Domain byte prefixed to explicit ids before hashing.
const DOMAIN_EXPLICIT: u8 = 0;
/// Domain byte prefixed to message content before hashing.
const DOMAIN_CONTENT: u8 = 1;

/// The key a window deduplicates on: a 32-byte SHA-256 digest, cheap to copy and compare.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct MessageId([u8; 32]);

impl MessageId {
    /// The id for an explicit message id given by the caller (a string or bytes).
    pub fn explicit(id: impl AsRef<[u8]>) -> Self {
        Self::digest(DOMAIN_EXPLICIT, id.as_ref())
    }

    /// The id for a message without an explicit id: the SHA-256 of its content.
    pub fn from_content(content: &[u8]) -> Self {
        Self::digest(DOMAIN_CONTENT, content)
    }

    /// The explicit id when the message has one, else the SHA-256 of `content`.
    pub fn explicit_or_content(explicit: Option<&[u8]>, content: &[u8]) -> Self {
        match explicit {
            Some(id) => Self::explicit(id),
            None => Self::from_content(content),
        }
    }

    /// The stored digest.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Eight bytes of the digest used to pick a shard; different from those the table hashes.
    pub(crate) fn shard_bits(&self) -> u64 {
        let mut word = [0u8; 8];
        word.copy_from_slice(&self.0[8..16]);
        u64::from_le_bytes(word)
    }

    fn digest(domain: u8, bytes: &[u8]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update([domain]);
        hasher.update(bytes);
        Self(hasher.finalize().into())
    }
}

impl Hash for MessageId {
    /// Feeds only the first eight digest bytes to the (keyed) table hasher: the digest is already
    /// uniform, so the other bytes add cost and no spread. Equal ids still hash equally.
    fn hash<H: Hasher>(&self, state: &mut H) {
        let mut word = [0u8; 8];
        word.copy_from_slice(&self.0[..8]);
        state.write_u64(u64::from_le_bytes(word));
    }
}

impl fmt::Debug for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MessageId(")?;
        for byte in &self.0[..8] {
            write!(f, "{byte:02x}")?;
        }
        write!(f, "…)")
    }
}
