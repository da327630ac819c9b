//! `wsr`: the command-line face of ws-reliable.
//!
//! Three commands share this library: `serve` runs a relay server on the facade (echo, rooms,
//! a token-streaming demo, `/health/websocket`), `client` is an interactive client, and
//! `chaos` proves the delivery guarantee under injected network faults.
//!
//! The guarantee `chaos` checks is the facade's: within a session every message reaches the
//! peer's application exactly once and in order, across any number of disconnects, or the
//! application is told explicitly that the session was lost. Each client talks through its
//! own fault-injecting proxy; messages carry their own client id and sequence number, so the
//! checker finds loss, duplicates and reordering without trusting the library's counters.
//!
//! ```no_run
//! # async fn demo() -> wsr::Result<()> {
//! let mut config = wsr::chaos::ChaosConfig::default();
//! config.clients = 2;
//! config.messages = 50;
//! let report = wsr::chaos::run(config).await?;
//! assert!(report.passed, "no loss, duplicate or reordering");
//! # Ok(())
//! # }
//! ```

// This crate is a command-line tool: printing the report and the received messages is its
// product, so stdout and stderr are intended outputs.
#![allow(clippy::print_stdout, clippy::print_stderr)]

pub mod bench;
pub mod chaos;
pub mod client;
pub mod demo;
mod error;
pub mod serve;
pub mod store;

pub use error::{Error, Result};
