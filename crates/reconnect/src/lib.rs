//! Client-side reconnection: jittered backoff, a retry budget, a circuit breaker and lifecycle
//! callbacks whose failures are never swallowed.
//!
//! The pattern: when a connection drops, retry after a delay that grows exponentially up to a
//! cap and is randomized so that clients dropped together do not return together ([`Policy`],
//! over the workspace [`backoff`] crate). The first retry after an unexpected drop is
//! immediate; after a close the server asked for (restart, overload) even the first retry is
//! spread over `[0, initial]`. A tower-style [`RetryBudget`] makes retries be paid for by
//! successful connections, so a flapping server cannot be stormed, and a circuit breaker
//! ([`Gate`], [`circuit_breaker::CircuitBreaker`] by default) suspends all attempts after
//! repeated failures, then lets one trial through after its open duration, running a fallback
//! such as rotating to the next of several [`Endpoints`].
//!
//! The guarantee: the driver waits at least the policy's delay before every retry, makes no
//! attempt while the breaker is open or the budget is empty, publishes every state change on a
//! `watch` channel ([`ConnState`]), and stops in [`ConnState::Failed`] naming the callback when
//! a [`Criticality::Critical`] callback errs or panics, while a non-critical failure is only
//! logged and counted in [`Stats`].
//!
//! [`Policy`] and [`RetryBudget`] are pure (time and randomness passed in); [`Reconnector`] is
//! the tokio driver (cargo feature `driver`, default on). It owns the caller's connect
//! function and returns connections; the caller serves each one and reports how it ended:
//!
//! ```
//! use std::time::Duration;
//! use reconnect::{Config, ConnState, Criticality, DisconnectCause, Endpoints, Reconnector};
//!
//! # struct Socket(String);
//! # async fn open(url: String) -> std::io::Result<Socket> { Ok(Socket(url)) }
//! # async fn serve(_socket: Socket) -> u16 { 1012 }
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> reconnect::Result<()> {
//! let endpoints = Endpoints::new(["wss://a.example/ws", "wss://b.example/ws"])?;
//! let target = endpoints.clone();
//! let mut client = Reconnector::new(Config::default(), move || open(target.current().to_string()))?
//!     .on_connect("resubscribe", Criticality::Critical, |_| Ok(()))
//!     .on_reconnect("metrics", Criticality::NonCritical, |_| Err("not wired".into()))
//!     .on_breaker_open(move |_until| {
//!         endpoints.rotate();
//!     });
//! let state = client.subscribe();
//! for _ in 0..3 {
//!     let socket = client.connect().await?; // waits, retries, runs the callbacks
//!     assert_eq!(*state.borrow(), ConnState::Connected);
//!     let close_code = serve(socket).await; // the WebSocket read loop, until it ends
//!     client.disconnected(DisconnectCause::from_close_code(close_code))?;
//!     assert!(matches!(*state.borrow(), ConnState::Reconnecting { attempt: 0, .. }));
//! }
//! assert_eq!(client.stats().non_critical_callback_failures, 2);
//! client.close();
//! # Ok(())
//! # }
//! ```

mod budget;
mod callbacks;
mod config;
#[cfg(feature = "driver")]
mod driver;
mod endpoints;
mod error;
mod gate;
mod policy;
mod state;
mod stats;

pub use backoff::{Backoff, Jitter};
pub use circuit_breaker;

pub use crate::budget::{BudgetConfig, RetryBudget};
pub use crate::callbacks::{
    CallbackContext, CallbackError, CallbackFailure, Callbacks, Criticality, Hook,
};
pub use crate::config::Config;
#[cfg(feature = "driver")]
pub use crate::driver::Reconnector;
pub use crate::endpoints::Endpoints;
pub use crate::error::{Error, Result};
pub use crate::gate::{Gate, NoGate};
pub use crate::policy::{DisconnectCause, Policy};
pub use crate::state::{ConnState, FailReason};
pub use crate::stats::Stats;

#[cfg(test)]
mod tests;
