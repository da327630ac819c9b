//! Versioned shared state with optimistic concurrency, criticality-aware listeners and bounded delta history for catch-up.
//!
//! (Work in progress.)
