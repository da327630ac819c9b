//! The one error type of the crate.

use ws_proto::LostReason;

/// Why a store refused an operation.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Expected: the session cannot be resumed (unknown, expired, unauthorized, or ended with
    /// this reason).
    #[error("session lost: {0:?}")]
    Lost(LostReason),
    /// Expected after a failover: the writer's claim is not the current one (another node
    /// claimed the session since). The writer must stop serving the session.
    #[error("fenced: the write carries epoch {writer}, the current claim is {current}")]
    Fenced {
        /// The epoch the write carried.
        writer: u64,
        /// The current claim's epoch.
        current: u64,
    },
    /// Caller bug: an append whose sequence number does not follow the last appended one.
    #[error("append out of order: seq {seq} after {last}")]
    OutOfOrder {
        /// The refused sequence number.
        seq: u64,
        /// The last sequence number in the log.
        last: u64,
    },
    /// Expected on damaged storage: the session's record could not be read back; the session
    /// is lost, the store keeps serving the others.
    #[error("session record corrupt: {0}")]
    Corrupt(String),
    /// Expected under load: the store is at its configured bound; nothing was written.
    #[error("session store full: {0}")]
    Full(String),
    /// Expected when the backend is down or slow: nothing is known to be written.
    #[error("session store backend: {0}")]
    Backend(String),
}

impl Error {
    /// The reason to tell a client whose resume met this error, when the session is gone
    /// for good (lost or corrupt); `None` for errors a later attempt may not meet.
    pub fn lost_reason(&self) -> Option<LostReason> {
        match self {
            Error::Lost(reason) => Some(*reason),
            Error::Corrupt(_) | Error::Fenced { .. } => Some(LostReason::Expired),
            _ => None,
        }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
