//! Independent health checks run concurrently with timeouts, producing a partial-failure report with coverage.
//!
//! (Work in progress.)
