//! Everything a [`Reconnector`](crate::Reconnector) is built from, validated once.

#[cfg(feature = "driver")]
use std::hash::{BuildHasher, RandomState};
use std::time::Duration;
#[cfg(feature = "driver")]
use std::time::SystemTime;

use crate::budget::BudgetConfig;
use crate::error::{Error, Result};
use crate::policy::Policy;

/// The longest accepted delay or timeout: one day, far from `Instant` overflow.
const MAX_DURATION: Duration = Duration::from_secs(86_400);

/// Reconnector configuration.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Config {
    /// Delays and give-up rules. Default [`Policy::default`] (500 ms x2 to 30 s, full jitter,
    /// immediate first retry, unlimited).
    pub policy: Policy,
    /// The retry budget. Default [`BudgetConfig::default`] (60 s window, 0.2 retries/s floor,
    /// 20 % of successes).
    pub budget: BudgetConfig,
    /// The circuit breaker used by [`Reconnector::new`](crate::Reconnector). Default: the
    /// `circuit-breaker` defaults (5 consecutive failures, or 50 % over 30 s; open 5 s
    /// doubling to 60 s, equal jitter) with one trial at a time and one success to close,
    /// since a reconnector makes one attempt at a time.
    pub breaker: circuit_breaker::Config,
    /// Limit on one connection attempt; a slower attempt counts as failed. Default 20 s
    /// (Socket.IO's connect timeout); `None` waits as long as the connect function does.
    pub connect_timeout: Option<Duration>,
    /// Seed of the jitter generator. Default `None`: a per-process random seed from std's
    /// `RandomState` (as tower's `HasherRng`), because a fixed seed shared by a fleet would
    /// give every client the same "random" delays. Set it for reproducible tests.
    pub seed: Option<u64>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            policy: Policy::default(),
            budget: BudgetConfig::default(),
            breaker: circuit_breaker::Config::default().half_open_max_calls(1).success_threshold(1),
            connect_timeout: Some(Duration::from_secs(20)),
            seed: None,
        }
    }
}

impl Config {
    /// Sets [`Config::policy`].
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Sets [`Config::budget`].
    pub fn budget(mut self, budget: BudgetConfig) -> Self {
        self.budget = budget;
        self
    }

    /// Sets [`Config::breaker`].
    pub fn breaker(mut self, breaker: circuit_breaker::Config) -> Self {
        self.breaker = breaker;
        self
    }

    /// Sets [`Config::connect_timeout`].
    pub fn connect_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets [`Config::seed`].
    pub fn seed(mut self, seed: Option<u64>) -> Self {
        self.seed = seed;
        self
    }

    /// Checks every part once; the reconnector's constructors call this.
    pub fn validate(&self) -> Result<()> {
        self.policy.validate()?;
        self.budget.validate()?;
        self.breaker.validate()?;
        if self.policy.backoff.max > MAX_DURATION {
            return Err(Error::Config("backoff cap must be at most 1 day"));
        }
        if self.policy.max_elapsed.is_some_and(|d| d > MAX_DURATION) {
            return Err(Error::Config("max_elapsed must be at most 1 day"));
        }
        if self.connect_timeout.is_some_and(|t| t.is_zero() || t > MAX_DURATION) {
            return Err(Error::Config("connect_timeout must be in (0, 1 day]"));
        }
        Ok(())
    }

    /// The configured seed, or a fresh per-process random one.
    #[cfg(feature = "driver")]
    pub(crate) fn seed_or_random(&self) -> u64 {
        self.seed.unwrap_or_else(|| RandomState::new().hash_one(SystemTime::now()))
    }
}
