//! Exponential backoff with a cap and injected jitter.
//!
//! The pattern: after the `n`-th consecutive failure wait `initial * multiplier^n`, never more
//! than `max`, spread by jitter so that many clients that failed together do not retry together
//! (AWS's "Exponential Backoff and Jitter"). This crate computes delays only: it never sleeps,
//! never reads a clock and never touches a global random generator. The caller passes the
//! random source, so tests are deterministic.
//!
//! The guarantee: for every attempt, `0 <= delay(attempt) <= max`, and the un-jittered
//! [`Backoff::base_delay`] never decreases as `attempt` grows.
//!
//! ```
//! use std::time::Duration;
//! use backoff::{Backoff, Jitter};
//! use rand::{SeedableRng, rngs::StdRng};
//!
//! let policy = Backoff::new(Duration::from_millis(500), Duration::from_secs(30))
//!     .multiplier(2.0)
//!     .jitter(Jitter::Full);
//! policy.validate()?;
//! assert_eq!(policy.base_delay(3), Duration::from_secs(4));
//! let mut rng = StdRng::seed_from_u64(7);
//! assert!(policy.delay(3, &mut rng) <= Duration::from_secs(4));
//! # Ok::<(), backoff::Error>(())
//! ```

use std::time::Duration;

use rand::Rng;
use serde::{Deserialize, Serialize};

/// How the computed delay is spread.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Jitter {
    /// The exact exponential delay.
    None,
    /// Uniform in `[0, delay]`: the best spread, the default.
    #[default]
    Full,
    /// Uniform in `[delay / 2, delay]`: keeps at least half the wait.
    Equal,
}

/// Errors from validating a [`Backoff`].
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The multiplier is below 1.0 or not finite (caller bug).
    #[error("backoff multiplier must be finite and >= 1.0, got {0}")]
    Multiplier(f64),
    /// `initial` is larger than `max` (caller bug).
    #[error("backoff initial delay {initial:?} exceeds the cap {max:?}")]
    InitialAboveMax {
        /// The configured initial delay.
        initial: Duration,
        /// The configured cap.
        max: Duration,
    },
}

/// An exponential backoff policy.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Backoff {
    /// Delay before the first retry (attempt 0). Default 500 ms.
    pub initial: Duration,
    /// Growth factor per attempt. Default 2.0.
    pub multiplier: f64,
    /// Cap on any delay. Default 30 s.
    pub max: Duration,
    /// Spread applied to the capped delay. Default [`Jitter::Full`].
    pub jitter: Jitter,
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new(Duration::from_millis(500), Duration::from_secs(30))
    }
}

impl Backoff {
    /// A policy from `initial` growing by 2.0 per attempt up to `max`, with full jitter.
    pub fn new(initial: Duration, max: Duration) -> Self {
        Self { initial, multiplier: 2.0, max, jitter: Jitter::Full }
    }

    /// Sets the growth factor.
    pub fn multiplier(mut self, multiplier: f64) -> Self {
        self.multiplier = multiplier;
        self
    }

    /// Sets the jitter.
    pub fn jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = jitter;
        self
    }

    /// Checks the policy once, so that delay computations cannot misbehave later.
    pub fn validate(&self) -> Result<(), Error> {
        if !self.multiplier.is_finite() || self.multiplier < 1.0 {
            return Err(Error::Multiplier(self.multiplier));
        }
        if self.initial > self.max {
            return Err(Error::InitialAboveMax { initial: self.initial, max: self.max });
        }
        Ok(())
    }

    /// The capped delay before retry `attempt` (0-based), without jitter.
    pub fn base_delay(&self, attempt: u32) -> Duration {
        let factor = self.multiplier.max(1.0).powi(attempt.min(i32::MAX as u32) as i32);
        let secs = self.initial.as_secs_f64() * factor;
        if !secs.is_finite() || secs >= self.max.as_secs_f64() {
            return self.max;
        }
        Duration::from_secs_f64(secs).min(self.max)
    }

    /// The delay before retry `attempt` (0-based), with jitter drawn from `rng`.
    pub fn delay(&self, attempt: u32, rng: &mut impl Rng) -> Duration {
        let base = self.base_delay(attempt);
        match self.jitter {
            Jitter::None => base,
            Jitter::Full => base.mul_f64(rng.random_range(0.0..=1.0)),
            Jitter::Equal => base / 2 + (base / 2).mul_f64(rng.random_range(0.0..=1.0)),
        }
    }
}

#[cfg(test)]
mod tests;
