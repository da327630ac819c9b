//! When to retry: the delay before each reconnection attempt, and when to give up.
//!
//! The delays come from the workspace [`Backoff`] (default 500 ms doubling to 30 s, full
//! jitter: Centrifugo's 0.5 s / 20 s shape with our 30 s cap). Two things depend on why the
//! connection was lost, the [`DisconnectCause`]:
//!
//! - After an **unexpected** drop (network error, abnormal close) the first retry is immediate
//!   when `immediate_first_retry` is set (SignalR retries at 0 ms, ezsockets at ~0.3 ms): most
//!   drops are transient and a single client loses nothing by trying at once. Retry `n >= 1`
//!   then waits `backoff.delay(n - 1)`, so the sequence is 0, ~0.5 s, ~1 s, ~2 s, ...
//! - After a close the **server asked for** (going away, restart, overload) every client of the
//!   fleet was dropped at the same moment, so even the first retry is spread: it waits a delay
//!   drawn uniformly from `[0, backoff.initial]` whatever the backoff's jitter mode, and retry
//!   `n >= 1` waits `backoff.delay(n)`.
//!
//! Without `immediate_first_retry`, retry `n` after an unexpected drop waits `backoff.delay(n)`.

use std::time::Duration;

use backoff::{Backoff, Jitter};
use rand::Rng;

use crate::error::Result;

/// Why a connection ended, as reported by the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DisconnectCause {
    /// The transport failed or closed without the server asking: I/O error, reset, ping
    /// timeout, abnormal closure (1006), or any close code not listed under `ServerRequested`.
    Unexpected,
    /// The server closed on purpose and expects clients back: normal closure (1000), going
    /// away (1001), service restart (1012), try again later (1013).
    ServerRequested,
}

/// The reconnection delay policy.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Policy {
    /// Delays between attempts. Default 500 ms initial, x2, cap 30 s, [`Jitter::Full`].
    pub backoff: Backoff,
    /// Whether the first retry after an unexpected drop runs at once. Default `true`.
    pub immediate_first_retry: bool,
    /// Retries per lost connection before giving up. Default `None` (unlimited: the circuit
    /// breaker and the retry budget are what hold a client back).
    pub max_attempts: Option<u32>,
    /// Time since the connection was lost after which no retry is made; the last delay is
    /// shortened so the last retry runs at this limit at the latest. Default `None`.
    pub max_elapsed: Option<Duration>,
}

/// Which delay a retry gets, before jitter.
enum Step {
    Immediate,
    Spread,
    Backoff(u32),
}

impl DisconnectCause {
    /// Classifies a WebSocket close code (RFC 6455 section 7.4): 1000, 1001, 1012 and 1013 are
    /// closes the server meant; everything else is unexpected.
    pub fn from_close_code(code: u16) -> Self {
        match code {
            1000 | 1001 | 1012 | 1013 => Self::ServerRequested,
            _ => Self::Unexpected,
        }
    }
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            backoff: Backoff::new(Duration::from_millis(500), Duration::from_secs(30))
                .multiplier(2.0)
                .jitter(Jitter::Full),
            immediate_first_retry: true,
            max_attempts: None,
            max_elapsed: None,
        }
    }
}

impl Policy {
    /// Sets [`Policy::backoff`].
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Sets [`Policy::immediate_first_retry`].
    pub fn immediate_first_retry(mut self, immediate: bool) -> Self {
        self.immediate_first_retry = immediate;
        self
    }

    /// Sets [`Policy::max_attempts`].
    pub fn max_attempts(mut self, attempts: Option<u32>) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// Sets [`Policy::max_elapsed`].
    pub fn max_elapsed(mut self, elapsed: Option<Duration>) -> Self {
        self.max_elapsed = elapsed;
        self
    }

    /// Checks the policy once.
    pub fn validate(&self) -> Result<()> {
        Ok(self.backoff.validate()?)
    }

    /// The delay before retry `attempt` (0-based) of a connection lost for `cause`, `elapsed`
    /// after it was lost, or `None` when the policy gives up. Always within
    /// `[0, self.base_delay(attempt, cause)]`, hence within `[0, backoff.max]`.
    pub fn next_delay(
        &self,
        attempt: u32,
        cause: DisconnectCause,
        elapsed: Duration,
        rng: &mut impl Rng,
    ) -> Option<Duration> {
        if self.max_attempts.is_some_and(|max| attempt >= max) {
            return None;
        }
        let delay = match self.step(attempt, cause) {
            Step::Immediate => Duration::ZERO,
            Step::Spread => self.backoff.initial.mul_f64(rng.random_range(0.0..=1.0)),
            Step::Backoff(step) => self.backoff.delay(step, rng),
        };
        match self.max_elapsed {
            None => Some(delay),
            Some(max) if elapsed >= max => None,
            Some(max) => Some(delay.min(max - elapsed)),
        }
    }

    /// The un-jittered upper bound of retry `attempt`'s delay. Never decreases as `attempt`
    /// grows, and never exceeds `backoff.max`.
    pub fn base_delay(&self, attempt: u32, cause: DisconnectCause) -> Duration {
        match self.step(attempt, cause) {
            Step::Immediate => Duration::ZERO,
            Step::Spread => self.backoff.initial,
            Step::Backoff(step) => self.backoff.base_delay(step),
        }
    }

    /// The retry index a failed *first* connection continues from: it counts as the immediate
    /// retry when there is one, so the next attempt waits the first backoff delay.
    pub fn first_retry_after_initial_failure(&self) -> u32 {
        u32::from(self.immediate_first_retry)
    }

    fn step(&self, attempt: u32, cause: DisconnectCause) -> Step {
        match (cause, attempt) {
            (DisconnectCause::ServerRequested, 0) => Step::Spread,
            (DisconnectCause::Unexpected, 0) if self.immediate_first_retry => Step::Immediate,
            (DisconnectCause::Unexpected, n) if self.immediate_first_retry => Step::Backoff(n - 1),
            (_, n) => Step::Backoff(n),
        }
    }
}
