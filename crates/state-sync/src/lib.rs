//! Versioned shared state with optimistic concurrency, criticality-aware listeners and
//! bounded delta history for catch-up.
//!
//! The pattern: a state carries a version that grows by one per update. A writer says which
//! version its change is based on; if the state moved on meanwhile the change is refused
//! with a typed [`Conflict`] (optimistic concurrency) instead of silently overwriting the
//! newer state. The last deltas are kept in a bounded history, so a reconnecting client at
//! version `v` gets exactly the deltas since `v`, or a snapshot with the reason deltas would
//! not do ([`CatchUp`]). The async [`Synchronizer`] then tells listeners about each update;
//! they run concurrently, each under a timeout and a panic catcher, and every result is
//! judged by the listener's [`Criticality`].
//!
//! The guarantee: an update either applies at the expected version or returns `Conflict`;
//! every listener result is inspected; a critical failure is never silent. A critical
//! listener that errs, panics, times out or is cancelled makes the update return
//! [`Error::CriticalListenerFailed`] naming it and puts the synchronizer in
//! [`Health::Error`], where it refuses updates until [`Synchronizer::recover`]. The failed
//! update stays committed (see [`synchronizer`] for why). Non-critical failures are counted
//! and reported as [`Health::Degraded`] until a round fully succeeds.
//!
//! This replaces a design where listeners ran under `gather(return_exceptions=True)` and
//! nobody looked at what came back, so a failed critical update passed silently.
//!
//! ```
//! # #[cfg(not(feature = "driver"))] fn main() {}
//! # #[cfg(feature = "driver")] fn main() {
//! use serde_json::json;
//! use state_sync::listener::from_fn;
//! use state_sync::{CatchUp, Criticality, Error, JsonState, ListenerError, SyncConfig, Synchronizer};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! let sync = Synchronizer::new(JsonState::empty_object(), SyncConfig::default())?;
//! sync.register("store", Criticality::Critical, from_fn(|_, patch: serde_json::Value| async move {
//!     if patch["poison"] == true {
//!         return Err(ListenerError::new("disk full"));
//!     }
//!     Ok(())
//! }))?;
//!
//! let v1 = sync.update(0, json!({"user": "ada"})).await?.version;
//! assert_eq!(v1, 1);
//! // A writer still at version 0 is told, and nothing is overwritten.
//! assert!(matches!(sync.update(0, json!({"user": "bob"})).await, Err(Error::Conflict(_))));
//! // A client at version 0 catches up with the one delta.
//! assert_eq!(sync.since(0), CatchUp::Deltas(vec![(1, json!({"user": "ada"}))]));
//!
//! // A critical listener's failure is an error naming it; updates are refused until recover().
//! let failed = sync.update(1, json!({"poison": true})).await;
//! assert!(matches!(&failed, Err(Error::CriticalListenerFailed { failures, .. }) if failures[0].listener == "store"));
//! assert!(matches!(sync.update(2, json!({"x": 1})).await, Err(Error::InError { .. })));
//! sync.recover();
//! assert_eq!(sync.update(2, json!({"poison": null})).await?.version, 3);
//! # Ok::<(), Error>(())
//! # }).unwrap();
//! # }
//! ```
//!
//! The pure core ([`Versioned`], [`JsonState`]) has no I/O and no async; the synchronizer
//! and listeners sit behind the `driver` cargo feature (on by default).

mod error;
mod history;
mod json;
mod versioned;

#[cfg(feature = "driver")]
mod config;
#[cfg(feature = "driver")]
mod health;
#[cfg(feature = "driver")]
pub mod listener;
#[cfg(feature = "driver")]
mod round;
#[cfg(feature = "driver")]
mod stats;
#[cfg(feature = "driver")]
pub mod synchronizer;

pub use error::{Conflict, Error, FailureKind, ListenerFailure, Result};
pub use history::HistoryConfig;
pub use json::{JsonState, merge_patch};
pub use versioned::{Apply, CatchUp, SnapshotReason, Version, Versioned};

#[cfg(feature = "driver")]
pub use config::SyncConfig;
#[cfg(feature = "driver")]
pub use health::Health;
#[cfg(feature = "driver")]
pub use listener::{Criticality, Listener, ListenerError};
#[cfg(feature = "driver")]
pub use stats::{FailureCounts, Stats};
#[cfg(feature = "driver")]
pub use synchronizer::{Committed, Synchronizer};
