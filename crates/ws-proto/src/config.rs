//! Session configuration.

use std::time::Duration;

use crate::error::{Error, Result};

/// Tunables of one session, both directions. Every default is stated on its field.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Most unacknowledged outbound messages held for replay. Default 10,000.
    pub max_buffered_messages: usize,
    /// Most unacknowledged outbound payload bytes held for replay. Default 1 MiB.
    pub max_buffered_bytes: usize,
    /// Largest payload of one message. Default 1 MiB. A larger send is refused at once
    /// (`TooLarge`) rather than accepted and then refused by the peer's message-size limit.
    pub max_payload: usize,
    /// Longest an ack is delayed to coalesce it with later ones. Default 10 ms.
    pub ack_delay: Duration,
    /// Ack at once after this many unacknowledged frames. Default 64.
    pub ack_every: u64,
    /// Ack at once after this many unacknowledged payload bytes. Default 256 KiB.
    pub ack_bytes: usize,
    /// Send heartbeat pings and treat a silent peer as gone. Default on. Off, a half-open
    /// connection is only noticed when TCP gives up (minutes), so switch it off only to roll
    /// back or when another layer already does this.
    pub heartbeat_enabled: bool,
    /// How often to ping the peer. Default 25 s.
    pub heartbeat_interval: Duration,
    /// How long past a missed ping the peer may stay silent before it is a ghost. Default 10 s.
    pub heartbeat_timeout: Duration,
    /// How long a detached session waits for a resume. Default 2 min.
    pub resume_window: Duration,
    /// Most streams open at once in the receiving direction. Default 256.
    pub max_open_streams: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_buffered_messages: 10_000,
            max_buffered_bytes: 1 << 20,
            max_payload: 1 << 20,
            ack_delay: Duration::from_millis(10),
            ack_every: 64,
            ack_bytes: 256 << 10,
            heartbeat_enabled: true,
            heartbeat_interval: Duration::from_secs(25),
            heartbeat_timeout: Duration::from_secs(10),
            resume_window: Duration::from_secs(120),
            max_open_streams: 256,
        }
    }
}

impl Config {
    /// Sets [`Config::max_buffered_messages`] and [`Config::max_buffered_bytes`].
    pub fn buffer(mut self, messages: usize, bytes: usize) -> Self {
        self.max_buffered_messages = messages;
        self.max_buffered_bytes = bytes;
        self
    }

    /// Sets the ack coalescing: delay, frame count and byte count.
    pub fn acks(mut self, delay: Duration, every: u64, bytes: usize) -> Self {
        self.ack_delay = delay;
        self.ack_every = every;
        self.ack_bytes = bytes;
        self
    }

    /// Sets the heartbeat interval and timeout.
    pub fn heartbeat(mut self, interval: Duration, timeout: Duration) -> Self {
        self.heartbeat_interval = interval;
        self.heartbeat_timeout = timeout;
        self
    }

    /// Switches heartbeats off (see [`Config::heartbeat_enabled`]).
    pub fn without_heartbeat(mut self) -> Self {
        self.heartbeat_enabled = false;
        self
    }

    /// Sets the resume window.
    pub fn resume_window(mut self, window: Duration) -> Self {
        self.resume_window = window;
        self
    }

    /// Checks the values once.
    pub fn validate(&self) -> Result<()> {
        if self.max_buffered_messages == 0 || self.max_buffered_bytes == 0 || self.max_payload == 0
        {
            return Err(Error::Config("replay buffer bounds must be positive"));
        }
        if self.ack_every == 0 || self.ack_bytes == 0 {
            return Err(Error::Config("ack thresholds must be positive"));
        }
        if self.heartbeat_interval.is_zero() {
            return Err(Error::Config("heartbeat interval must be positive"));
        }
        if self.max_open_streams == 0 {
            return Err(Error::Config("max_open_streams must be positive"));
        }
        Ok(())
    }
}
