//! Client configuration.

use std::time::Duration;

use crate::codec::Codec;
use crate::error::{Error, Result};

/// Client settings. Every default is stated on its field.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ClientConfig {
    /// Per-session protocol settings (replay buffer, acks, heartbeat, resume window).
    pub session: ws_proto::Config,
    /// Wire codec. Default [`Codec::Binary`].
    pub codec: Codec,
    /// Reconnection: backoff (first retry immediate after an unexpected drop, jittered after a
    /// close the server asked for, then 500 ms doubling to 30 s with full jitter), a retry
    /// budget, and a circuit breaker that suspends attempts after repeated failures.
    pub reconnect: reconnect::Config,
    /// Longest wait for TCP + upgrade + welcome. Default 10 s.
    pub connect_timeout: Duration,
    /// Largest WebSocket message accepted. Default 2 MiB (see `ServerConfig::max_message_size`).
    pub max_message_size: usize,
    /// Read buffer. Default 4 KiB.
    pub read_buffer_size: usize,
    /// Drop received messages whose application id was already seen within the window.
    /// Default on, 5 min TTL, 100,000 ids. `None` turns it off.
    pub dedup: Option<dedup::Config>,
    /// TLS for `wss://` URLs (feature `tls`). Default none:
    /// [`crate::tls::default_client_config`] (the roots the `tls-webpki-roots` or
    /// `tls-native-roots` feature brings). Set it with [`ClientConfig::tls`] and
    /// [`crate::tls::client_config`] to trust your own root.
    #[cfg(feature = "tls")]
    pub tls: Option<std::sync::Arc<rustls::ClientConfig>>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            session: ws_proto::Config::default(),
            codec: Codec::Binary,
            reconnect: default_reconnect(),
            connect_timeout: Duration::from_secs(10),
            max_message_size: 2 << 20,
            read_buffer_size: 4 << 10,
            dedup: Some(dedup::Config::default()),
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

/// The `reconnect` defaults, with a retry budget that forgets within 10 s (at least one retry
/// every 2 s): the budget's longest wait must stay well inside the resume window, or a link
/// that flaps fast would park the client until the server expired its session.
fn default_reconnect() -> reconnect::Config {
    let mut budget = reconnect::BudgetConfig::default();
    budget.ttl = Duration::from_secs(10);
    budget.min_retries_per_sec = 0.5;
    reconnect::Config::default().budget(budget)
}

impl ClientConfig {
    /// Sets the per-session protocol settings.
    pub fn session(mut self, session: ws_proto::Config) -> Self {
        self.session = session;
        self
    }

    /// Sets the codec.
    pub fn codec(mut self, codec: Codec) -> Self {
        self.codec = codec;
        self
    }

    /// Sets the reconnection policy, budget and breaker.
    pub fn reconnect(mut self, reconnect: reconnect::Config) -> Self {
        self.reconnect = reconnect;
        self
    }

    /// Sets the TLS configuration for `wss://` URLs.
    #[cfg(feature = "tls")]
    pub fn tls(mut self, config: std::sync::Arc<rustls::ClientConfig>) -> Self {
        self.tls = Some(config);
        self
    }

    /// Switches the reconnect circuit breaker off (it never opens; backoff and the retry
    /// budget still apply), e.g. to roll it back alone.
    pub fn without_circuit_breaker(mut self) -> Self {
        self.reconnect.breaker = self
            .reconnect
            .breaker
            .failure_threshold(u32::MAX)
            .failure_rate_threshold(1.0)
            .minimum_calls(u32::MAX);
        self
    }

    /// Checks the values once.
    pub fn validate(&self) -> Result<()> {
        self.session.validate()?;
        self.reconnect.validate().map_err(|e| Error::Config(e.to_string()))?;
        if self.reconnect.budget.ttl * 2 > self.session.resume_window {
            let detail = "the reconnect budget's window must be under half the resume window";
            return Err(Error::Config(detail.to_owned()));
        }
        if self.connect_timeout.is_zero() {
            return Err(Error::Config("connect_timeout must be positive".to_owned()));
        }
        crate::common::check_message_size(self.max_message_size, &self.session)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use reconnect::circuit_breaker::{Admission, CircuitBreaker, Outcome};

    use super::*;

    #[test]
    fn defaults_validate_and_the_breaker_can_be_switched_off() {
        assert!(ClientConfig::default().validate().is_ok());
        let config = ClientConfig::default().without_circuit_breaker();
        assert!(config.validate().is_ok());
        let mut breaker = CircuitBreaker::new(config.reconnect.breaker).unwrap();
        let t0 = Instant::now();
        for i in 0..10_000 {
            let now = t0 + Duration::from_millis(i);
            let Admission::Allowed(permit) = breaker.admit(now) else { panic!("opened at {i}") };
            breaker.record(permit, Outcome::Failure, now);
        }
    }

    #[test]
    fn a_budget_window_longer_than_half_the_resume_window_is_refused() {
        let mut config = ClientConfig::default();
        config.session.resume_window = Duration::from_secs(10);
        assert!(matches!(config.validate(), Err(Error::Config(_))));
    }
}
