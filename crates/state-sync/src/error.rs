//! The crate's error type and the typed pieces it carries: a version [`Conflict`] and the
//! [`ListenerFailure`]s of a notification round.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use crate::Version;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An update was written against a version that is no longer current.
///
/// Expected at run time: another writer got there first. Nothing was applied; the caller
/// re-reads the state (or catches up with `since(expected)`) and retries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("version conflict: update expected version {expected}, current is {current}")]
pub struct Conflict {
    /// The version the writer based its delta on.
    pub expected: Version,
    /// The version the state is actually at.
    pub current: Version,
}

/// How one listener failed during a notification round.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
#[non_exhaustive]
pub enum FailureKind {
    /// The listener returned an error; the message is its `Display`.
    Error(String),
    /// The listener panicked; the message is the panic payload when it was a string.
    Panic(String),
    /// The listener did not finish within the per-listener timeout.
    Timeout(Duration),
    /// The caller dropped the `update` future before the listener's result was known, so
    /// nobody can say whether it observed the update.
    Cancelled,
}

/// One listener's failure: which listener and how.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ListenerFailure {
    /// The name the listener was registered under.
    pub listener: String,
    /// What went wrong.
    pub kind: FailureKind,
}

/// Everything that can go wrong in this crate.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The update's expected version is stale (expected at run time; nothing was applied).
    #[error(transparent)]
    Conflict(#[from] Conflict),
    /// At least one critical listener failed on the update that produced `version`
    /// (expected at run time). The update *was* committed; the synchronizer is now in
    /// `Health::Error` and refuses further updates until `recover()`.
    #[error("critical listener failure at version {version}: {}", Failures(.failures))]
    CriticalListenerFailed {
        /// The version that was committed and not fully observed.
        version: Version,
        /// Every critical listener that failed, in registration order (never empty).
        failures: Vec<ListenerFailure>,
    },
    /// The synchronizer is in `Health::Error` after a critical failure at `version` and
    /// refuses updates until `recover()` is called (expected at run time).
    #[error("synchronizer refuses updates until recover(): {} failed at version {version}", Failures(.failures))]
    InError {
        /// The version whose round failed.
        version: Version,
        /// The critical failures of that round.
        failures: Vec<ListenerFailure>,
    },
    /// A listener with this name is already registered (caller bug).
    #[error("a listener named {0:?} is already registered")]
    DuplicateListener(String),
    /// A configuration value is out of range (caller bug).
    #[error("invalid configuration: {field} {reason}")]
    InvalidConfig {
        /// The offending field.
        field: &'static str,
        /// Why it is rejected.
        reason: &'static str,
    },
    /// A catch-up's deltas do not continue from the local version (expected at run time when
    /// the catch-up is stale or came from elsewhere; nothing was applied).
    #[error("catch-up gap: local version is {local}, first delta is version {first}")]
    Gap {
        /// The version the replica is at.
        local: Version,
        /// The version of the first delta received, or of the first non-consecutive one.
        first: Version,
    },
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Error(message) => write!(f, "error: {message}"),
            Self::Panic(message) => write!(f, "panicked: {message}"),
            Self::Timeout(after) => write!(f, "timed out after {after:?}"),
            Self::Cancelled => f.write_str("cancelled before its result was known"),
        }
    }
}

impl fmt::Display for ListenerFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.listener, self.kind)
    }
}

/// Joins failures with commas for error messages.
struct Failures<'a>(&'a [ListenerFailure]);

impl fmt::Display for Failures<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, failure) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{failure}")?;
        }
        Ok(())
    }
}
