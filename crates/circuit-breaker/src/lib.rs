//! Circuit breaker: stop calling a dependency that keeps failing, then probe it carefully.
//!
//! The pattern (Nygard, "Release It!"; resilience4j; failsafe): a breaker starts **Closed** and
//! counts outcomes. It trips to **Open** after `failure_threshold` consecutive failures (default
//! 5) or when the failure rate over a sliding time window reaches `failure_rate_threshold`
//! (default 0.5 over 30 s, once the window holds `minimum_calls`, default 10). While Open every
//! call is rejected at once. After the open duration, drawn from the workspace
//! [`backoff::Backoff`] (default 5 s doubling to 60 s, equal jitter) and growing with each
//! consecutive trip, it goes **HalfOpen**: at most `half_open_max_calls` trial calls run at once
//! (default 3); `success_threshold` successes (default 2) close it and reset the growth, any
//! failure re-opens it for longer. A call slower than `slow_call` (default off) is a failure.
//!
//! The guarantee: no call is admitted while Open before the open duration has passed; never
//! more than `half_open_max_calls` trials are outstanding; and a result whose permit was issued
//! in an earlier state (a slow Closed-era call returning during HalfOpen) never moves the
//! breaker. [`CircuitBreaker`] is sans-IO: it never reads the clock or sleeps, takes `now` in
//! every call, reports [`CircuitBreaker::poll_timeout`] and queues [`Transition`]s.
//!
//! Every allowed [`Permit`] must come back through [`CircuitBreaker::record`] or
//! [`CircuitBreaker::cancel`]; a lost HalfOpen trial permit holds its slot until the next state
//! change. [`SharedBreaker`] (an `Arc<Mutex<_>>`) hands out a [`PermitGuard`] that cancels on
//! drop, and with the `driver` feature (default on) wraps futures with
//! `SharedBreaker::call`. A [`Registry`] keeps named breakers and snapshots them.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use circuit_breaker::{Admission, CircuitBreaker, Config, Outcome, State};
//!
//! let mut breaker = CircuitBreaker::new(Config::default().failure_threshold(2))?;
//! let t0 = Instant::now();
//! for _ in 0..2 {
//!     let Admission::Allowed(permit) = breaker.admit(t0) else { unreachable!() };
//!     breaker.record(permit, Outcome::Failure, t0 + Duration::from_millis(10));
//! }
//! let State::Open { until } = breaker.state() else { unreachable!() };
//! // Equal jitter keeps at least half of the 5 s initial open duration.
//! assert!(until >= t0 + Duration::from_millis(2_510));
//! assert!(matches!(breaker.admit(until - Duration::from_millis(1)), Admission::Rejected { .. }));
//!
//! // After the open duration, trials are admitted; two successes close the breaker.
//! for _ in 0..2 {
//!     let Admission::Allowed(trial) = breaker.admit(until) else { unreachable!() };
//!     breaker.record(trial, Outcome::Success, until + Duration::from_millis(5));
//! }
//! assert_eq!(breaker.state(), State::Closed);
//! assert_eq!(breaker.stats().trips, 1);
//! # Ok::<(), circuit_breaker::Error>(())
//! ```

mod config;
mod error;
mod machine;
mod registry;
mod shared;
mod state;
mod window;

pub use backoff::{Backoff, Jitter};

pub use crate::config::Config;
pub use crate::error::{Error, Result};
pub use crate::machine::CircuitBreaker;
pub use crate::registry::{BreakerSnapshot, Registry};
pub use crate::shared::{CallError, PermitGuard, Rejected, SharedBreaker};
pub use crate::state::{Admission, Outcome, Permit, State, StateKind, Stats, Transition};
