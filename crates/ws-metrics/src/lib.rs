//! Metric names and labels for ws-reliable, recorded through the metrics facade, with a JSON snapshot and Prometheus exposition.
//!
//! (Work in progress.)
