//! Crate-level tests: the model-based property test of the core, and the driver tests.

mod model;

#[cfg(feature = "driver")]
mod driver;
