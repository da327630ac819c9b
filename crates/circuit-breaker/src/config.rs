//! Breaker configuration: thresholds, window, open-duration backoff, half-open trials.
//!
//! The defaults follow resilience4j's shape (count-based trip plus a failure rate over a time
//! window with a minimum number of calls) with the numbers listed on each field. For
//! comparison, failsafe-rs trips on 5 consecutive failures or under 80 % success over 30 s.

use std::time::Duration;

use backoff::{Backoff, Jitter};

use crate::error::{Error, Result};

/// How a [`crate::CircuitBreaker`] decides to trip, how long it stays open and how it probes.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Config {
    /// Consecutive failures (in Closed) that trip the breaker. Default 5.
    pub failure_threshold: u32,
    /// Failure rate over the window, in `(0, 1]`, at or above which the breaker trips once the
    /// window holds at least `minimum_calls` calls. Checked after every call recorded in
    /// Closed, as resilience4j does. Default 0.5.
    pub failure_rate_threshold: f64,
    /// Length of the sliding failure-rate window. Default 30 s.
    pub window: Duration,
    /// Number of time buckets the window is divided into; the window slides one bucket
    /// (`window / window_buckets`) at a time. Default 10 (3 s buckets).
    pub window_buckets: u32,
    /// Calls the window must hold before the rate can trip the breaker. Default 10.
    pub minimum_calls: u32,
    /// Open duration after the `n`-th consecutive trip is `open_backoff.delay(n)`.
    /// Default 5 s initial, multiplier 2, cap 60 s, [`Jitter::Equal`] (so an open breaker
    /// always waits at least half the base duration, unlike full jitter which may wait zero).
    pub open_backoff: Backoff,
    /// Trial calls admitted at once in HalfOpen. Default 3.
    pub half_open_max_calls: u32,
    /// Successful trial calls that close the breaker. Default 2.
    pub success_threshold: u32,
    /// A call that takes longer than this (record time minus admit time) counts as a failure.
    /// Default `None` (no slow-call detection).
    pub slow_call: Option<Duration>,
    /// Capacity of the transition queue read by `poll_event`; when full the oldest transition
    /// is dropped and counted in [`crate::Stats::events_dropped`]. Default 64.
    pub event_capacity: usize,
    /// Seed of the breaker's own random generator, used only for open-duration jitter.
    /// Default 0.
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            failure_threshold: 5,
            failure_rate_threshold: 0.5,
            window: Duration::from_secs(30),
            window_buckets: 10,
            minimum_calls: 10,
            open_backoff: Backoff::new(Duration::from_secs(5), Duration::from_secs(60))
                .multiplier(2.0)
                .jitter(Jitter::Equal),
            half_open_max_calls: 3,
            success_threshold: 2,
            slow_call: None,
            event_capacity: 64,
            seed: 0,
        }
    }
}

impl Config {
    /// Sets [`Config::failure_threshold`].
    pub fn failure_threshold(mut self, failures: u32) -> Self {
        self.failure_threshold = failures;
        self
    }

    /// Sets [`Config::failure_rate_threshold`].
    pub fn failure_rate_threshold(mut self, rate: f64) -> Self {
        self.failure_rate_threshold = rate;
        self
    }

    /// Sets [`Config::window`] and [`Config::window_buckets`].
    pub fn window(mut self, window: Duration, buckets: u32) -> Self {
        self.window = window;
        self.window_buckets = buckets;
        self
    }

    /// Sets [`Config::minimum_calls`].
    pub fn minimum_calls(mut self, calls: u32) -> Self {
        self.minimum_calls = calls;
        self
    }

    /// Sets [`Config::open_backoff`].
    pub fn open_backoff(mut self, backoff: Backoff) -> Self {
        self.open_backoff = backoff;
        self
    }

    /// Sets [`Config::half_open_max_calls`].
    pub fn half_open_max_calls(mut self, calls: u32) -> Self {
        self.half_open_max_calls = calls;
        self
    }

    /// Sets [`Config::success_threshold`].
    pub fn success_threshold(mut self, successes: u32) -> Self {
        self.success_threshold = successes;
        self
    }

    /// Sets [`Config::slow_call`].
    pub fn slow_call(mut self, threshold: Option<Duration>) -> Self {
        self.slow_call = threshold;
        self
    }

    /// Sets [`Config::event_capacity`].
    pub fn event_capacity(mut self, capacity: usize) -> Self {
        self.event_capacity = capacity;
        self
    }

    /// Sets [`Config::seed`].
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Checks every field once; [`crate::CircuitBreaker::new`] calls this.
    pub fn validate(&self) -> Result<()> {
        let rate = self.failure_rate_threshold;
        let checks = [
            (self.failure_threshold == 0, Error::ZeroFailureThreshold),
            (!(rate > 0.0 && rate <= 1.0), Error::FailureRate(rate)),
            (self.window_buckets == 0, Error::ZeroBuckets),
            (self.minimum_calls == 0, Error::ZeroMinimumCalls),
            (self.half_open_max_calls == 0, Error::ZeroHalfOpenCalls),
            (self.success_threshold == 0, Error::ZeroSuccessThreshold),
            (self.event_capacity == 0, Error::ZeroEventCapacity),
        ];
        if let Some((_, error)) = checks.into_iter().find(|(bad, _)| *bad) {
            return Err(error);
        }
        if self.bucket_width().is_zero() {
            return Err(Error::Window { window: self.window, buckets: self.window_buckets });
        }
        Ok(self.open_backoff.validate()?)
    }

    /// Width of one window bucket.
    pub(crate) fn bucket_width(&self) -> Duration {
        self.window / self.window_buckets.max(1)
    }
}
