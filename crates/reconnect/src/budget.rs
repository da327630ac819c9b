//! A retry budget: reconnection attempts are paid for by successful connections.
//!
//! Backoff alone does not stop a storm: it resets on every success, so a server that accepts
//! connections and drops them at once (overload, a crash loop behind a load balancer) gets an
//! immediate retry from every client, over and over. The budget, after tower's `TpsBudget`
//! (itself from Finagle), bounds retries over a sliding window of `ttl`: each successful
//! connection deposits `retry_ratio` retries, each retry withdraws one, and a floor of
//! `min_retries_per_sec * ttl` retries is always available so that a client that has never
//! succeeded can still try. When a withdrawal is refused the driver does not try anyway: it
//! waits until [`RetryBudget::retry_at`], when enough old withdrawals have left the window.
//!
//! The guarantee: at every accepted withdrawal, the withdrawals in the live window are at most
//! `retry_ratio` times the deposits in that window plus `min_retries_per_sec * ttl`.
//!
//! Like tower, the window is `SLOTS` (10) buckets of `ttl / 10`: a bucket leaves the window
//! whole, so the window is between `0.9 * ttl` and `ttl` long. Amounts are integers in
//! thousandths of a retry, so nothing drifts.

use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// Buckets per window.
pub(crate) const SLOTS: usize = 10;
/// One retry, in budget units.
pub(crate) const RETRY: i64 = 1000;

/// Retry budget parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct BudgetConfig {
    /// How long a deposit or withdrawal counts. Default 60 s; at least 10 ns.
    pub ttl: Duration,
    /// Retries per second always allowed, whatever the deposits. Default 0.2 (12 a minute,
    /// more than a capped 30 s backoff needs); `min_retries_per_sec * ttl` must be at least
    /// 1 so that a client with no recent success is slowed down, never stopped.
    pub min_retries_per_sec: f64,
    /// Retries each successful connection pays for, in `[0, 1000]`. Default 0.2 (tower's
    /// 20 %): a connection that keeps flapping cannot fund its own retries.
    pub retry_ratio: f64,
}

/// The budget state. Pure: every call takes `now`.
#[derive(Clone, Debug)]
pub struct RetryBudget {
    slot_width: Duration,
    deposit: i64,
    reserve: i64,
    slots: [i64; SLOTS],
    origin: Option<Instant>,
    current: u64,
}

impl Default for BudgetConfig {
    fn default() -> Self {
        Self { ttl: Duration::from_secs(60), min_retries_per_sec: 0.2, retry_ratio: 0.2 }
    }
}

impl BudgetConfig {
    /// Sets [`BudgetConfig::ttl`].
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Sets [`BudgetConfig::min_retries_per_sec`].
    pub fn min_retries_per_sec(mut self, rate: f64) -> Self {
        self.min_retries_per_sec = rate;
        self
    }

    /// Sets [`BudgetConfig::retry_ratio`].
    pub fn retry_ratio(mut self, ratio: f64) -> Self {
        self.retry_ratio = ratio;
        self
    }

    /// Checks the parameters once; [`RetryBudget::new`] calls this.
    pub fn validate(&self) -> Result<()> {
        if self.ttl < Duration::from_nanos(SLOTS as u64) || self.ttl > Duration::from_secs(86_400) {
            return Err(Error::Config("budget ttl must be in [10 ns, 1 day]"));
        }
        if !(0.0..=1000.0).contains(&self.retry_ratio) {
            return Err(Error::Config("budget retry_ratio must be in [0, 1000]"));
        }
        let floor = self.min_retries_per_sec * self.ttl.as_secs_f64();
        if !floor.is_finite() || floor < 1.0 {
            return Err(Error::Config("budget min_retries_per_sec * ttl must be at least 1 retry"));
        }
        Ok(())
    }
}

impl RetryBudget {
    /// An empty budget (only the floor available), after validating `config`.
    pub fn new(config: BudgetConfig) -> Result<Self> {
        config.validate()?;
        let floor = config.min_retries_per_sec * config.ttl.as_secs_f64();
        Ok(Self {
            slot_width: config.ttl / SLOTS as u32,
            deposit: (config.retry_ratio * RETRY as f64).round() as i64,
            reserve: (floor * RETRY as f64).min(i64::MAX as f64 / 4.0) as i64,
            slots: [0; SLOTS],
            origin: None,
            current: 0,
        })
    }

    /// Records a successful connection at `now`.
    pub fn deposit(&mut self, now: Instant) {
        let slot = self.rotate(now);
        self.slots[slot] = self.slots[slot].saturating_add(self.deposit);
    }

    /// Takes one retry at `now`; `false` (and nothing taken) when the budget is empty.
    pub fn withdraw(&mut self, now: Instant) -> bool {
        let slot = self.rotate(now);
        if self.balance_at(self.current) < RETRY {
            return false;
        }
        self.slots[slot] = self.slots[slot].saturating_sub(RETRY);
        true
    }

    /// Retries available at `now`, floor included (fractional when deposits are).
    pub fn available(&self, now: Instant) -> f64 {
        self.balance_at(self.slot_of(now)) as f64 / RETRY as f64
    }

    /// The earliest instant, at or after `now`, at which a withdrawal succeeds if nothing else
    /// happens meanwhile. At most `ttl` away, because the floor alone pays for one retry.
    pub fn retry_at(&self, now: Instant) -> Instant {
        let start = self.slot_of(now);
        let Some(origin) = self.origin else {
            return now;
        };
        (0..=SLOTS as u64)
            .map(|ahead| start + ahead)
            .find(|&slot| self.balance_at(slot) >= RETRY)
            .filter(|&slot| slot > start)
            .map_or(now, |slot| self.slot_start(origin, slot).max(now))
    }

    /// Moves the window to `now`'s bucket, emptying the buckets that left it; returns the
    /// current bucket's index in `slots`.
    fn rotate(&mut self, now: Instant) -> usize {
        self.origin.get_or_insert(now);
        let slot = self.slot_of(now);
        if slot > self.current {
            let expired = (slot - self.current).min(SLOTS as u64);
            for step in 1..=expired {
                self.slots[((self.current + step) % SLOTS as u64) as usize] = 0;
            }
            self.current = slot;
        }
        (self.current % SLOTS as u64) as usize
    }

    /// The balance, floor included, that the window would hold while in bucket `slot`
    /// (at or after the current one) if nothing else happened.
    fn balance_at(&self, slot: u64) -> i64 {
        let live = (0..SLOTS as u64)
            .filter(|&age| age <= self.current && self.current - age + SLOTS as u64 > slot)
            .map(|age| self.slots[((self.current - age) % SLOTS as u64) as usize])
            .sum::<i64>();
        live.saturating_add(self.reserve)
    }

    fn slot_of(&self, now: Instant) -> u64 {
        let Some(origin) = self.origin else {
            return 0;
        };
        let nanos = now.saturating_duration_since(origin).as_nanos();
        let slot = nanos / self.slot_width.as_nanos().max(1);
        u64::try_from(slot).unwrap_or(u64::MAX / 2).max(self.current)
    }

    fn slot_start(&self, origin: Instant, slot: u64) -> Instant {
        let nanos = self.slot_width.as_nanos().saturating_mul(u128::from(slot));
        let offset = Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX));
        origin.checked_add(offset).unwrap_or(origin)
    }
}
