//! Prometheus text exposition, behind the `prometheus` feature, for binaries only.
//!
//! A library must never call [`install`]: installing the global recorder is the binary's
//! decision (the `wsr` server calls it once at start-up and serves [`PrometheusHandle::render`]
//! on `GET /metrics`). The exporter keeps histogram samples until upkeep runs, so the binary
//! should also call [`PrometheusHandle::run_upkeep`] every few seconds.

use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder};
pub use metrics_exporter_prometheus::{PrometheusHandle, PrometheusRecorder};

use crate::Result;

/// Histogram buckets for every `_seconds` metric: 1 ms to 10 s, roughly doubling.
pub const SECONDS_BUCKETS: &[f64] =
    &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Builds a Prometheus recorder with [`SECONDS_BUCKETS`] for `_seconds` histograms, without
/// installing it (for tests, or to combine with other recorders).
pub fn build_recorder() -> Result<PrometheusRecorder> {
    let builder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), SECONDS_BUCKETS)?;
    Ok(builder.build_recorder())
}

/// Installs the Prometheus recorder globally, registers metric descriptions, and returns the
/// handle whose `render()` is the `GET /metrics` body. Binaries only; fails if a global recorder
/// is already installed.
pub fn install() -> Result<PrometheusHandle> {
    let recorder = build_recorder()?;
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder).map_err(BuildError::from)?;
    crate::names::describe();
    Ok(handle)
}
