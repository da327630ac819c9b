//! Circuit breaker: Closed / Open / HalfOpen, a pure state machine with time passed in, plus a registry of named breakers.
//!
//! (Work in progress.)
