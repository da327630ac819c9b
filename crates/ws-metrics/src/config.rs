//! Settings for a [`Metrics`](crate::Metrics) handle.

use crate::{Error, Result};

/// Settings for a [`Metrics`](crate::Metrics) handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MetricsConfig {
    /// Distinct clients that get their own `client` label; later ones share
    /// [`OVERFLOW`](crate::names::OVERFLOW). Default 100.
    pub client_label_cap: usize,
    /// Overflowed client ids remembered for the distinct overflow count. Default 10 000.
    pub overflow_memory: usize,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self { client_label_cap: 100, overflow_memory: 10_000 }
    }
}

impl MetricsConfig {
    /// Sets the per-client label cap.
    pub fn client_label_cap(mut self, cap: usize) -> Self {
        self.client_label_cap = cap;
        self
    }

    /// Sets how many overflowed client ids are remembered.
    pub fn overflow_memory(mut self, ids: usize) -> Self {
        self.overflow_memory = ids;
        self
    }

    /// Rejects a zero label cap: not recording per-client metrics is the way to have none.
    pub fn validate(&self) -> Result<()> {
        if self.client_label_cap == 0 {
            return Err(Error::ZeroClientLabelCap);
        }
        Ok(())
    }
}
