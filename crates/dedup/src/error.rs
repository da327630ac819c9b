//! The crate's error type: configuration mistakes, all found once when a window is built.

/// Errors from validating a [`Config`](crate::Config).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `max_entries` is zero: the window could remember nothing (caller bug).
    #[error("dedup max_entries must be at least 1")]
    ZeroCapacity,
    /// `ttl` is zero: every id would be forgotten at once (caller bug).
    #[error("dedup ttl must be longer than zero")]
    ZeroTtl,
    /// `shards` is zero (caller bug).
    #[error("dedup shards must be at least 1")]
    ZeroShards,
    /// A [`ShardedWindow`](crate::ShardedWindow) gives each shard `max_entries / shards`
    /// entries, which would be zero (caller bug).
    #[error("dedup max_entries {max_entries} is below the shard count {shards}")]
    CapacityBelowShards {
        /// The configured total bound.
        max_entries: usize,
        /// The configured shard count.
        shards: usize,
    },
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;
