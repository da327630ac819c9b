//! Named breakers (a "circuit breaker manager"): one per endpoint, peer or dependency.

use std::collections::BTreeMap;
use std::time::Instant;

use parking_lot::Mutex;
use serde::Serialize;

use crate::config::Config;
use crate::error::Result;
use crate::shared::SharedBreaker;
use crate::state::{State, StateKind, Stats};

/// A thread-safe map from name to [`SharedBreaker`].
#[derive(Debug, Default)]
pub struct Registry {
    breakers: Mutex<BTreeMap<String, SharedBreaker>>,
}

/// One breaker's state at a point in time, for health endpoints and logs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct BreakerSnapshot {
    /// The registry name.
    pub name: String,
    /// The breaker's state.
    pub state: StateKind,
    /// When Open: milliseconds until it may half-open, zero if already due.
    pub open_remaining_ms: Option<u64>,
    /// Lifetime counters.
    pub stats: Stats,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// The breaker named `name`, created from `config` if absent. An existing breaker keeps
    /// its own config. A new breaker's seed is `config.seed` mixed with a hash of the name, so
    /// breakers created from one config do not jitter in lockstep.
    pub fn get_or_create(&self, name: &str, config: Config) -> Result<SharedBreaker> {
        let mut breakers = self.breakers.lock();
        if let Some(existing) = breakers.get(name) {
            return Ok(existing.clone());
        }
        let config = config.seed(config.seed ^ fnv1a(name.as_bytes()));
        let breaker = SharedBreaker::new(config)?;
        breakers.insert(name.to_owned(), breaker.clone());
        Ok(breaker)
    }

    /// The breaker named `name`, if any.
    pub fn get(&self, name: &str) -> Option<SharedBreaker> {
        self.breakers.lock().get(name).cloned()
    }

    /// Removes and returns the breaker named `name`; clones already handed out keep working.
    pub fn remove(&self, name: &str) -> Option<SharedBreaker> {
        self.breakers.lock().remove(name)
    }

    /// Number of breakers.
    pub fn len(&self) -> usize {
        self.breakers.lock().len()
    }

    /// Whether there are no breakers.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every breaker's state and counters at `now`, sorted by name.
    pub fn snapshot(&self, now: Instant) -> Vec<BreakerSnapshot> {
        self.entries()
            .into_iter()
            .map(|(name, breaker)| {
                let (state, stats) = breaker.with(|b| (b.state(), b.stats()));
                let open_remaining_ms = match state {
                    State::Open { until } => Some(millis(until.saturating_duration_since(now))),
                    State::Closed | State::HalfOpen => None,
                };
                BreakerSnapshot { name, state: state.kind(), open_remaining_ms, stats }
            })
            .collect()
    }

    /// Number of breakers currently Open (including those due to half-open).
    pub fn open_count(&self) -> usize {
        self.entries()
            .iter()
            .filter(|(_, breaker)| breaker.state().kind() == StateKind::Open)
            .count()
    }

    /// A copy of the map, so no breaker is locked while the registry is.
    fn entries(&self) -> Vec<(String, SharedBreaker)> {
        let breakers = self.breakers.lock();
        breakers.iter().map(|(name, breaker)| (name.clone(), breaker.clone())).collect()
    }
}

fn millis(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// FNV-1a: a stable hash (unlike `DefaultHasher`, whose algorithm may change).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests;
