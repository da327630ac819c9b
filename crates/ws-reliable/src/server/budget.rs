//! The server-wide memory budget: one shared count of the bytes held in flight, so that the
//! sum over all connections is bounded, not only each message and each connection.
//!
//! Three things are charged (`docs/operations.md`, "Memory budget"):
//!
//! - a large message being read: when a client frame header announces a data message past
//!   [`gate::SMALL`] bytes, its whole size (`max_message_size` for a fragmented one, trimmed
//!   to the real size at its last fragment) is reserved *before* its payload is read
//!   ([`gate::Gated`]). A connection whose reservation does not fit stops reading its socket
//!   until bytes are released, so the peer's TCP window fills (backpressure). A reservation is
//!   all or nothing and a connection holds at most one message's, so the readers cannot
//!   deadlock each other;
//! - received messages the application has not taken yet, and
//! - replay buffers (sent, not yet acknowledged), both charged by the session itself
//!   ([`crate::shared::Shared`]) whenever its machine's held bytes change.
//!
//! Charges of the last two are never refused (the bytes are already there, and an
//! acknowledged message is never dropped); they make reservations wait and, while less than
//! one largest message (`max_message_size`) of room is left, new sessions are refused with
//! close code 1013 ("try again later"). The counter is one atomic; no lock is taken per frame.

pub(crate) mod gate;
mod scan;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use serde::Serialize;
use tokio::sync::Notify;

/// Budget used when `/proc/meminfo` cannot be read: 1 GiB.
pub(crate) const FALLBACK: usize = 1 << 30;

/// The close code refusing a new session while the budget is reached (RFC 6455 1013, "Try
/// Again Later").
pub(crate) const TRY_AGAIN_LATER: u16 = 1013;

/// The shared count of bytes in flight, against its limit.
#[derive(Debug)]
pub(crate) struct Budget {
    limit: usize,
    /// Room a new session needs: one largest message.
    headroom: usize,
    used: AtomicUsize,
    /// Readers parked on a reservation; releases notify only while there are some.
    waiting: AtomicUsize,
    freed: Notify,
    paused: AtomicU64,
    refused: AtomicU64,
    metrics: Option<ws_metrics::Metrics>,
}

/// The budget as the health route reports it.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub(crate) struct BudgetFigures {
    /// The limit, bytes.
    pub(crate) limit: usize,
    /// Bytes held in flight now.
    pub(crate) used: usize,
    /// New sessions are refused now (less than one largest message of room).
    pub(crate) refusing: bool,
    /// Readers waiting for room now.
    pub(crate) paused_now: usize,
    /// Times a reader stopped for room, since start.
    pub(crate) paused_reads: u64,
    /// New sessions refused for the budget, since start.
    pub(crate) refused_sessions: u64,
}

impl Budget {
    /// A budget of `limit` bytes; `headroom` is the room a new session needs.
    pub(crate) fn new(
        limit: usize,
        headroom: usize,
        metrics: Option<ws_metrics::Metrics>,
    ) -> Arc<Self> {
        Arc::new(Self {
            limit,
            headroom,
            used: AtomicUsize::new(0),
            waiting: AtomicUsize::new(0),
            freed: Notify::new(),
            paused: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            metrics,
        })
    }

    /// Takes `n` bytes if they fit under the limit.
    pub(crate) fn try_reserve(&self, n: usize) -> bool {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(n).filter(|total| *total <= self.limit)
            })
            .is_ok()
    }

    /// Counts `n` bytes that are already held (never refused).
    pub(crate) fn charge(&self, n: usize) {
        self.used.fetch_add(n, Ordering::AcqRel);
    }

    /// Gives `n` bytes back and wakes the parked readers, if any.
    pub(crate) fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        let _ = self
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| Some(used.saturating_sub(n)));
        if self.waiting.load(Ordering::Acquire) > 0 {
            self.freed.notify_waiters();
        }
    }

    /// Whether a new session must be refused now; counts the refusal.
    pub(crate) fn refuse_new(&self) -> bool {
        let refusing = self.refusing();
        if refusing {
            self.refused.fetch_add(1, Ordering::Relaxed);
            self.metrics.as_ref().inspect(|m| m.budget_session_refused());
        }
        refusing
    }

    /// Less than one largest message of room is left.
    pub(crate) fn refusing(&self) -> bool {
        self.used.load(Ordering::Acquire).saturating_add(self.headroom) > self.limit
    }

    /// Resolves after the next release (from the moment it is first polled), or after
    /// `at_most`. While it is alive, the reader counts as parked.
    pub(crate) fn freed(
        self: &Arc<Self>,
        at_most: std::time::Duration,
    ) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        let budget = Arc::clone(self);
        Box::pin(async move {
            let _parked = Parked::new(&budget);
            let _ = tokio::time::timeout(at_most, budget.freed.notified()).await;
        })
    }

    /// A reader stopped for room.
    pub(crate) fn paused(&self) {
        self.paused.fetch_add(1, Ordering::Relaxed);
        self.metrics.as_ref().inspect(|m| m.budget_reads_paused(1));
    }

    /// The limit and the current use; also sets the budget's gauges.
    pub(crate) fn figures(&self) -> BudgetFigures {
        let used = self.used.load(Ordering::Acquire);
        self.metrics.as_ref().inspect(|m| m.memory_budget(used as u64, self.limit as u64));
        BudgetFigures {
            limit: self.limit,
            used,
            refusing: self.refusing(),
            paused_now: self.waiting.load(Ordering::Acquire),
            paused_reads: self.paused.load(Ordering::Relaxed),
            refused_sessions: self.refused.load(Ordering::Relaxed),
        }
    }
}

/// Counts one parked reader while alive.
struct Parked<'a>(&'a Budget);

impl<'a> Parked<'a> {
    fn new(budget: &'a Budget) -> Self {
        budget.waiting.fetch_add(1, Ordering::AcqRel);
        Self(budget)
    }
}

impl Drop for Parked<'_> {
    fn drop(&mut self) {
        self.0.waiting.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The payload length of a data message (0 for control messages): what
/// [`gate::Account::delivered`] releases.
pub(crate) fn data_len(message: &tokio_tungstenite::tungstenite::Message) -> usize {
    use tokio_tungstenite::tungstenite::Message;
    match message {
        Message::Text(text) => text.len(),
        Message::Binary(bytes) => bytes.len(),
        _ => 0,
    }
}

/// The default limit: a quarter of `MemAvailable` in `/proc/meminfo` now, or [`FALLBACK`]
/// where it cannot be read (not Linux, no procfs).
pub(crate) fn machine_default() -> usize {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| mem_available(&text))
        .map_or(FALLBACK, |bytes| bytes / 4)
}

/// `MemAvailable` in bytes from the text of `/proc/meminfo`.
fn mem_available(meminfo: &str) -> Option<usize> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let mut words = line["MemAvailable:".len()..].split_whitespace();
    let kib: usize = words.next()?.parse().ok()?;
    (words.next() == Some("kB")).then(|| kib.saturating_mul(1024))
}

#[cfg(test)]
mod tests;
