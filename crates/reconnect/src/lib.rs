//! Client-side reconnection: backoff with jitter, retry budget, circuit breaker, criticality-aware lifecycle callbacks.
//!
//! (Work in progress.)
