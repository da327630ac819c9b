//! The crate's error type.

/// A `Result` with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can stop a command.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The facade failed: bind, connect, or a lost session (expected at run time).
    #[error(transparent)]
    Facade(#[from] ws_reliable::Error),
    /// An I/O error: a proxy could not bind, stdin failed (expected at run time).
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// A background task panicked or was cancelled (a bug in this crate).
    #[error("task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// An argument out of range (caller error).
    #[error("invalid argument: {0}")]
    Invalid(String),
}
