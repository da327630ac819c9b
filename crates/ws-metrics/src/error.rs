//! The crate's error type.

/// Errors from configuring metrics or installing an exporter.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The per-client label cap is zero (caller bug).
    #[error("client label cap must be greater than zero")]
    ZeroClientLabelCap,
    /// The Prometheus exporter could not be built or installed, typically because a global
    /// recorder is already installed (caller bug: install once, from the binary).
    #[cfg(feature = "prometheus")]
    #[error("cannot install the Prometheus recorder: {0}")]
    Prometheus(#[from] metrics_exporter_prometheus::BuildError),
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;
