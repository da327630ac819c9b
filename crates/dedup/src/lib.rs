//! Message-id deduplication with a TTL and a hard memory bound.
//!
//! The pattern: remember the id of every message processed in the last `ttl`, and drop a
//! message whose id is remembered. A WebSocket client that resends after a reconnect, or a
//! server that redelivers unacknowledged messages, then delivers each message once. The id is
//! the explicit id the sender gave, or the SHA-256 of the content when there is none
//! ([`MessageId`]). The core is sans-IO: the caller passes `now`, the window never reads a clock.
//!
//! The guarantee: an id seen within TTL is reported [`Verdict::Duplicate`] unless it was
//! evicted early, which is counted ([`Stats::evicted_early`]). Eviction happens only at the hard
//! bound `max_entries` under [`OnFull::EvictOldest`]; under [`OnFull::Reject`] the window refuses
//! fresh ids instead ([`Verdict::Rejected`]) and never forgets early.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use dedup::{Config, MessageId, Verdict, Window};
//!
//! let mut window = Window::new(Config::default().ttl(Duration::from_secs(60)))?;
//! let t0 = Instant::now();
//! let id = MessageId::explicit("order-42");
//! assert_eq!(window.check_and_insert(id, t0), Verdict::Fresh);
//! assert_eq!(window.check_and_insert(id, t0 + Duration::from_secs(59)), Verdict::Duplicate);
//! // Duplicates do not extend the TTL: 60 s after the first sighting the id is forgotten.
//! assert_eq!(window.check_and_insert(id, t0 + Duration::from_secs(60)), Verdict::Fresh);
//! // Without an explicit id, the content is the id.
//! let by_content = MessageId::from_content(b"{\"op\":\"ping\"}");
//! assert!(window.check_and_insert(by_content, t0 + Duration::from_secs(60)).is_fresh());
//! assert_eq!(window.stats().duplicates, 1);
//! # Ok::<(), dedup::Error>(())
//! ```
//!
//! # Semantics
//!
//! - An id first seen at `t` is a duplicate for `now` in `[t, t + ttl)`; **duplicates do not
//!   refresh the TTL**, so a sender that retries forever is let through once per TTL rather
//!   than silenced forever.
//! - Expiry is amortized O(1): insertions are kept in order, and each call purges at most a
//!   small constant number of expired ids from the front; [`Window::purge`] purges all of them
//!   (call it at [`Window::poll_timeout`] to release memory while idle). No call scans the table.
//! - Instants may be passed slightly out of order (e.g. by several threads); an instant earlier
//!   than the newest one seen is treated as the newest one.
//! - [`ShardedWindow`] splits the bound evenly over `shards` independently locked windows.
//!
//! # Memory
//!
//! Every id, explicit or not, is stored as its 32-byte SHA-256 digest (domain-separated, so an
//! explicit id never equals a content digest), which makes entries fixed-size and the bound
//! exact. An entry costs 48 bytes in the table (digest and instant) plus one control byte, and
//! 48 bytes in the insertion queue: 97 bytes. Both collections grow to power-of-two capacities,
//! so a full window costs between 97 and about 200 bytes per entry: at the default 100 000
//! entries, 131 072 slots each, about 12.7 MB (127 bytes per entry). Memory is allocated as the
//! window fills and is not returned after a purge. A [`ShardedWindow`] costs the same per entry.
//!
//! # Defaults
//!
//! [`Config::default`]: `ttl` 5 minutes, `max_entries` 100 000, `on_full`
//! [`OnFull::EvictOldest`], `shards` 16 (6 250 entries per shard).

mod config;
mod error;
mod id;
mod sharded;
mod stats;
mod window;

pub use config::{Config, OnFull};
pub use error::{Error, Result};
pub use id::MessageId;
pub use sharded::ShardedWindow;
pub use stats::Stats;
pub use window::{Verdict, Window};

#[cfg(test)]
mod tests;
