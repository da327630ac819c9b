//! Lifetime counters of one reconnector, as a plain struct (metrics live in `ws-metrics`).

/// Counters since the reconnector was built.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Connection attempts started (the connect function was called).
    pub attempts: u64,
    /// Attempts that returned a connection.
    pub successes: u64,
    /// Attempts that returned an error or timed out.
    pub failures: u64,
    /// Callbacks registered as critical that failed (at most one: it ends reconnection).
    pub critical_callback_failures: u64,
    /// Callbacks registered as non-critical that failed (recorded and ignored).
    pub non_critical_callback_failures: u64,
    /// Times the driver entered `Suspended` because the circuit breaker was open.
    pub suspensions: u64,
    /// Times a retry had to wait because the retry budget was empty.
    pub budget_exhaustions: u64,
}
