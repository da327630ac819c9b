//! Connection registry with atomic state transitions, ghost detection and a force-closing sweeper.
//!
//! (Work in progress.)
