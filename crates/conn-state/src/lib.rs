//! Connection registry with atomic state transitions, ghost detection and a force-closing
//! sweeper.
//!
//! The pattern: every connection is tracked in one of four states, `Active -> Closing ->
//! Closed`, with `Failed` for closes that did not complete, and moves only along the
//! transition table of [`ConnState::apply`]. A deadline index finds *ghosts*: connections idle
//! past [`Config::idle_timeout`], closes stuck past [`Config::close_timeout`], and failed closes
//! whose force-close retry is due. The [`Registry`] core is sans-IO (the caller passes `now`,
//! it reports [`Registry::poll_timeout`] and [`Event`]s); [`SharedRegistry`] shares it between
//! tasks; the [`Sweeper`] driver (feature `driver`, on by default) force-closes ghosts through
//! a closer you supply.
//!
//! The guarantee: every connection that was opened ends removed and reported (as
//! [`RemoveReason::Closed`] or, after [`Config::max_force_close_attempts`] failed
//! force-closes, [`RemoveReason::GaveUp`]); no connection is tracked forever; illegal
//! transitions are refused with a typed [`Error`] and leave the registry unchanged.
//!
//! Connections are keyed by [`ConnId`], a `u64` newtype, so errors, events and the sweeper's
//! closer stay non-generic; keep your own map from richer keys to ids. Ghost detection uses a
//! deadline index with one entry per connection, so a scan costs `O(expired · log n)`, never a
//! full pass, and [`Registry::touch`] is `O(1)`. Defaults: idle 60 s (the facade uses heartbeat
//! interval + timeout), close deadline 5 s, force-close retry after 1 s, at most 3 force-close
//! attempts, 1024 queued events; the sweeper gives each close 2 s, 64 at a time.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use conn_state::{Config, ConnId, ConnState, Error, GhostReason, Registry};
//!
//! let mut registry = Registry::new(Config::default().idle_timeout(Duration::from_secs(30)))?;
//! let t0 = Instant::now();
//! let id = ConnId(1);
//! registry.open(id, t0)?;
//! registry.begin_close(id, t0)?;
//! // A second close is refused and changes nothing.
//! assert!(matches!(registry.begin_close(id, t0), Err(Error::IllegalTransition { .. })));
//! // The close never completes: after its 5 s deadline it is a ghost, now `Failed`.
//! let ghosts = registry.poll_ghosts(t0 + Duration::from_secs(5));
//! assert_eq!(ghosts[0].reason, GhostReason::CloseTimedOut);
//! assert_eq!(registry.state(id), Some(ConnState::Failed));
//! // The force-close succeeded: the connection is removed and reported.
//! let removed = registry.close_confirmed(id)?;
//! assert_eq!(removed.id, id);
//! assert!(registry.is_empty());
//! # Ok::<(), Error>(())
//! ```

mod config;
mod deadlines;
mod error;
mod events;
mod registry;
mod shared;
mod state;
#[cfg(feature = "driver")]
mod sweeper;

#[cfg(feature = "driver")]
pub use config::SweeperConfig;
pub use config::{Config, MAX_TIMEOUT};
pub use error::{Error, Result};
pub use events::{Counts, Event, Ghost, GhostReason, RemoveReason, Removed};
pub use registry::Registry;
pub use shared::SharedRegistry;
pub use state::{ConnId, ConnState, Op};
#[cfg(feature = "driver")]
pub use sweeper::{SweepReport, Sweeper};

#[cfg(test)]
mod tests;
