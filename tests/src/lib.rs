//! The fault-injecting TCP proxy the end-to-end tests put between clients and servers, on
//! loopback only. Per connection it can reset, close cleanly, stall one or both directions
//! (the half-open case only a heartbeat catches), and cut after a number of bytes (mid-frame).

mod proxy;

pub use proxy::{Direction, Fault, Proxy};
