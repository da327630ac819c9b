//! The sans-IO breaker: admissions, outcomes and state changes, with time passed in.
//!
//! Every state change bumps a generation number that permits carry, which is how a result
//! from an earlier state (a slow Closed-era call finishing while HalfOpen) is kept from moving
//! the breaker, and how trial slots are freed wholesale when HalfOpen ends.

use std::collections::VecDeque;
use std::time::Instant;

use rand::SeedableRng;
use rand::rngs::SmallRng;

use crate::config::Config;
use crate::error::Result;
use crate::state::{Admission, Outcome, Permit, State, Stats, Transition};
use crate::window::Window;

/// A circuit breaker state machine. It never reads the clock: every call takes `now`.
#[derive(Debug)]
pub struct CircuitBreaker {
    config: Config,
    rng: SmallRng,
    state: State,
    generation: u64,
    window: Window,
    consecutive_failures: u32,
    consecutive_trips: u32,
    trials_in_flight: u32,
    trial_successes: u32,
    events: VecDeque<Transition>,
    stats: Stats,
}

impl CircuitBreaker {
    /// A Closed breaker, after validating `config`.
    pub fn new(config: Config) -> Result<Self> {
        config.validate()?;
        Ok(Self {
            rng: SmallRng::seed_from_u64(config.seed),
            state: State::Closed,
            generation: 0,
            window: Window::new(config.bucket_width(), config.window_buckets),
            consecutive_failures: 0,
            consecutive_trips: 0,
            trials_in_flight: 0,
            trial_successes: 0,
            events: VecDeque::with_capacity(config.event_capacity.min(64)),
            stats: Stats::default(),
            config,
        })
    }

    /// The validated configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Asks to run one call at `now`. An Open breaker whose open duration has passed moves to
    /// HalfOpen first. An allowed permit must come back through [`Self::record`] or
    /// [`Self::cancel`]; a trial permit that never does keeps its HalfOpen slot until the
    /// breaker next changes state.
    pub fn admit(&mut self, now: Instant) -> Admission {
        self.handle_timeout(now);
        match self.state {
            State::Closed => Admission::Allowed(self.permit(now, false)),
            State::Open { until } => self.reject(until),
            State::HalfOpen if self.trials_in_flight < self.config.half_open_max_calls => {
                self.trials_in_flight += 1;
                Admission::Allowed(self.permit(now, true))
            }
            State::HalfOpen => {
                let hint = self.config.open_backoff.base_delay(0);
                self.reject(now.checked_add(hint).unwrap_or(now))
            }
        }
    }

    /// Reports how an admitted call went. A success slower than `slow_call` (measured from
    /// the permit's start to `now`) counts as a failure. A permit from an earlier generation
    /// is only counted in [`Stats`].
    pub fn record(&mut self, permit: Permit, outcome: Outcome, now: Instant) {
        let failed = self.classify(&permit, outcome, now);
        if permit.generation != self.generation {
            self.stats.stale += 1;
            return;
        }
        match self.state {
            State::Closed => self.record_closed(failed, now),
            State::HalfOpen => self.record_trial(failed, now),
            // Open issues no permits, so a current-generation permit cannot exist here.
            State::Open { .. } => {}
        }
    }

    /// Gives a permit back without an outcome (the call was abandoned). A current HalfOpen
    /// trial frees its slot; nothing else changes.
    pub fn cancel(&mut self, permit: Permit) {
        self.stats.cancelled += 1;
        if permit.trial && permit.generation == self.generation {
            self.trials_in_flight = self.trials_in_flight.saturating_sub(1);
        }
    }

    /// Moves an Open breaker whose open duration has passed to HalfOpen, so the transition is
    /// observable without an admission. [`Self::admit`] does the same.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let State::Open { until } = self.state
            && now >= until
        {
            self.transition(State::HalfOpen, now);
        }
    }

    /// The current state. An Open state whose `until` has passed stays Open until the next
    /// [`Self::admit`] or [`Self::handle_timeout`].
    pub fn state(&self) -> State {
        self.state
    }

    /// When Open, the instant the breaker becomes HalfOpen; otherwise `None`.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Open { until } => Some(until),
            State::Closed | State::HalfOpen => None,
        }
    }

    /// The oldest queued state change, if any.
    pub fn poll_event(&mut self) -> Option<Transition> {
        self.events.pop_front()
    }

    /// Lifetime counters and the current state.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    fn permit(&mut self, now: Instant, trial: bool) -> Permit {
        self.stats.calls += 1;
        Permit { started: now, trial, generation: self.generation }
    }

    fn reject(&mut self, retry_at: Instant) -> Admission {
        self.stats.rejected += 1;
        Admission::Rejected { retry_at }
    }

    /// Whether the call counts as a failure; updates the outcome counters.
    fn classify(&mut self, permit: &Permit, outcome: Outcome, now: Instant) -> bool {
        let slow = self
            .config
            .slow_call
            .is_some_and(|limit| now.saturating_duration_since(permit.started) > limit);
        let failed = outcome == Outcome::Failure || slow;
        if failed {
            self.stats.failures += 1;
            self.stats.slow_calls += u64::from(slow && outcome == Outcome::Success);
        } else {
            self.stats.successes += 1;
        }
        failed
    }

    fn record_closed(&mut self, failed: bool, now: Instant) {
        self.window.record(now, failed);
        self.consecutive_failures =
            if failed { self.consecutive_failures.saturating_add(1) } else { 0 };
        if self.consecutive_failures >= self.config.failure_threshold || self.rate_exceeded() {
            self.trip(now);
        }
    }

    fn rate_exceeded(&self) -> bool {
        let calls = self.window.calls();
        calls >= u64::from(self.config.minimum_calls)
            && self.window.failures() as f64 / calls as f64 >= self.config.failure_rate_threshold
    }

    fn record_trial(&mut self, failed: bool, now: Instant) {
        self.trials_in_flight = self.trials_in_flight.saturating_sub(1);
        if failed {
            self.trip(now);
            return;
        }
        self.trial_successes += 1;
        if self.trial_successes >= self.config.success_threshold {
            self.consecutive_trips = 0;
            self.transition(State::Closed, now);
        }
    }

    fn trip(&mut self, now: Instant) {
        let open_for = self.config.open_backoff.delay(self.consecutive_trips, &mut self.rng);
        self.consecutive_trips = self.consecutive_trips.saturating_add(1);
        self.stats.trips += 1;
        let until = now.checked_add(open_for).unwrap_or(now);
        self.transition(State::Open { until }, now);
    }

    /// Enters `to`, resetting everything that belongs to one state's episode.
    fn transition(&mut self, to: State, at: Instant) {
        let from = std::mem::replace(&mut self.state, to);
        self.generation += 1;
        self.consecutive_failures = 0;
        self.trials_in_flight = 0;
        self.trial_successes = 0;
        self.window.clear();
        self.stats.state = to.kind();
        tracing::debug!(from = ?from.kind(), to = ?to.kind(), trips = self.stats.trips, "circuit breaker state change");
        if self.events.len() >= self.config.event_capacity {
            self.events.pop_front();
            self.stats.events_dropped += 1;
        }
        self.events.push_back(Transition { from, to, at });
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod proptests;
