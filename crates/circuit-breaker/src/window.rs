//! Sliding time window of call outcomes, kept as a ring of time buckets.
//!
//! Time since the first recorded call is cut into buckets of `window / buckets`; the window is
//! the newest bucket plus the `buckets - 1` before it, so it covers between
//! `window - bucket_width` and `window` of history. Recording is amortized O(1): moving the
//! head forward clears each passed bucket once (at most `buckets` per call), and running
//! totals make the rate O(1) to read. A `now` earlier than the head bucket (a clock that went
//! backwards) is counted in the head bucket.

use std::time::{Duration, Instant};

/// Outcome counts over a sliding time window.
#[derive(Clone, Debug)]
pub(crate) struct Window {
    width_nanos: u128,
    buckets: Box<[Bucket]>,
    origin: Option<Instant>,
    head: u64,
    calls: u64,
    failures: u64,
}

#[derive(Clone, Copy, Debug, Default)]
struct Bucket {
    calls: u64,
    failures: u64,
}

impl Window {
    /// A window of `buckets` buckets of `bucket_width` each (both non-zero, see config).
    pub(crate) fn new(bucket_width: Duration, buckets: u32) -> Self {
        Self {
            width_nanos: bucket_width.as_nanos().max(1),
            buckets: vec![Bucket::default(); buckets.max(1) as usize].into_boxed_slice(),
            origin: None,
            head: 0,
            calls: 0,
            failures: 0,
        }
    }

    /// Counts one call at `now`.
    pub(crate) fn record(&mut self, now: Instant, failed: bool) {
        let index = self.index(now);
        if index > self.head {
            self.advance(index);
        }
        let slot = self.slot(self.head);
        let bucket = &mut self.buckets[slot];
        bucket.calls += 1;
        bucket.failures += u64::from(failed);
        self.calls += 1;
        self.failures += u64::from(failed);
    }

    /// Calls in the window as of the last record.
    pub(crate) fn calls(&self) -> u64 {
        self.calls
    }

    /// Failures in the window as of the last record.
    pub(crate) fn failures(&self) -> u64 {
        self.failures
    }

    /// Forgets every call, keeping the bucket alignment.
    pub(crate) fn clear(&mut self) {
        self.buckets.fill(Bucket::default());
        self.calls = 0;
        self.failures = 0;
    }

    fn index(&mut self, now: Instant) -> u64 {
        let origin = *self.origin.get_or_insert(now);
        let nanos = now.saturating_duration_since(origin).as_nanos();
        u64::try_from(nanos / self.width_nanos).unwrap_or(u64::MAX)
    }

    fn advance(&mut self, index: u64) {
        let len = self.buckets.len() as u64;
        if index - self.head >= len {
            self.clear();
        } else {
            for passed in self.head + 1..=index {
                let slot = self.slot(passed);
                let old = std::mem::take(&mut self.buckets[slot]);
                self.calls -= old.calls;
                self.failures -= old.failures;
            }
        }
        self.head = index;
    }

    fn slot(&self, index: u64) -> usize {
        (index % self.buckets.len() as u64) as usize
    }
}

#[cfg(test)]
mod tests;
