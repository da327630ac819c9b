//! Shared pieces of the end-to-end tests: the fault proxy (re-exported from `fault-proxy`).

pub use fault_proxy::{Direction, Fault, Proxy};
