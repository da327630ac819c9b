//! Metric names and labels for ws-reliable, recorded through the `metrics` facade, with a JSON
//! snapshot and Prometheus exposition.
//!
//! The pattern: one crate owns every metric name ([`names`], all `wsr_`-prefixed, Prometheus
//! style) and one handle, [`Metrics`], records each event twice: through the `metrics` facade
//! macros, which reach whatever recorder the binary installed (none by default: then they cost
//! a few nanoseconds and do nothing), and into in-process atomics read by
//! [`Metrics::snapshot`]. Per-client series are capped ([`MetricsConfig::client_label_cap`],
//! default 100); later clients share the [`names::OVERFLOW`] label value and are counted.
//!
//! The guarantee: [`Metrics::snapshot`] reflects every recorded event whether or not a recorder
//! is installed, so the health endpoint never depends on global state; this library never
//! installs a recorder itself. With the `prometheus` feature, [`prometheus::install`] is the
//! one call a binary makes to serve `GET /metrics`.
//!
//! ```
//! use std::time::Duration;
//! use ws_metrics::{BreakerState, Metrics};
//!
//! let metrics = Metrics::new();
//! metrics.connection_opened();
//! metrics.message_sent(512);
//! metrics.messages_acked(1);
//! metrics.heartbeat_rtt(Duration::from_millis(20));
//! metrics.breaker_state("redis", BreakerState::Open);
//! metrics.connection_closed("client_close");
//!
//! let snapshot = metrics.snapshot();
//! assert_eq!(snapshot.messages.bytes_sent, 512);
//! assert_eq!(snapshot.connections.active, 0);
//! assert_eq!(snapshot.connections.closed_by_reason["client_close"], 1);
//! let json = serde_json::to_value(&snapshot).unwrap();
//! assert_eq!(json["circuit_breakers"]["redis"]["state"], "open");
//! ```

mod cardinality;
mod config;
mod error;
mod handle;
mod hot;
pub mod names;
#[cfg(feature = "prometheus")]
pub mod prometheus;
mod snapshot;

pub use cardinality::{Assignment, ClientCounts, ClientLabels, LabelStats};
pub use config::MetricsConfig;
pub use error::{Error, Result};
pub use handle::{BreakerState, Metrics};
pub use snapshot::{
    Breaker, Connections, Latency, Messages, Queue, Resumes, Snapshot, TokenRefreshes,
};

#[cfg(test)]
mod tests;
