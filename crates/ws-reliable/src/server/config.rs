//! Server configuration: limits, timeouts and the switches for each pattern.

use std::time::Duration;

use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::common::{check_message_size, websocket_config};
use crate::error::{Error, Result};

/// Renders the `GET /metrics` body.
pub type MetricsRender = std::sync::Arc<dyn Fn() -> String + Send + Sync>;

/// A static file served for a `GET` path no other route matched (see
/// [`ServerConfig::static_route`]).
#[derive(Clone, Copy, Debug)]
pub struct StaticAsset {
    /// The `Content-Type` header.
    pub content_type: &'static str,
    /// The body.
    pub body: &'static [u8],
}

/// Looks up the [`StaticAsset`] for a request path; `None` answers 404.
pub type StaticRoute = std::sync::Arc<dyn Fn(&str) -> Option<StaticAsset> + Send + Sync>;

/// Server settings. Every default is stated on its field.
#[derive(Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Per-session protocol settings: replay buffer (default 10,000 messages / 1 MiB), ack
    /// coalescing, heartbeat (25 s / 10 s), resume window (2 min).
    pub session: ws_proto::Config,
    /// The path that upgrades to WebSocket. Default `/ws`.
    pub path: String,
    /// Longest wait for the HTTP request head (slowloris guard). Default 10 s.
    pub handshake_timeout: Duration,
    /// Longest wait for the `Hello` frame after the upgrade. Default 10 s.
    pub hello_timeout: Duration,
    /// Most TCP connections at once; more are refused. Default 10,000.
    pub max_connections: usize,
    /// Most sessions (attached or waiting for a resume) at once. Default 10,000.
    pub max_sessions: usize,
    /// Largest WebSocket message accepted. Default 2 MiB (tungstenite's is 64 MiB): room for
    /// the largest payload the replay buffer takes (1 MiB), base64-expanded by the JSON codec,
    /// plus the frame's fields. Must be at least 4/3 of the session's `max_payload` plus 4 KiB.
    pub max_message_size: usize,
    /// Read buffer per connection. Default 4 KiB (tungstenite's 128 KiB costs ~135 KiB of
    /// memory per idle connection).
    pub read_buffer_size: usize,
    /// Most data messages per second from one connection (a burst of as many is allowed); a
    /// connection over it gets error 4006 and is closed (its session can resume). Default
    /// none: no limit.
    pub max_messages_per_second: Option<std::num::NonZeroU32>,
    /// Origins allowed to open a WebSocket (Cross-Site WebSocket Hijacking guard). Empty
    /// allows any origin, and requests without an `Origin` header are always allowed
    /// (they do not come from browsers). Default empty.
    pub allowed_origins: Vec<String>,
    /// `Access-Control-Allow-Origin` for the health route, so a monitoring page can read it.
    /// Default none.
    pub health_cors: Option<String>,
    /// Serve `GET /health/websocket`. Default on.
    pub health: bool,
    /// Drop messages whose application id was already seen from the same subject within
    /// the window (across sessions). Default on, 5 min TTL, 100,000 ids. `None` turns it off.
    pub dedup: Option<dedup::Config>,
    /// Record metrics (through the `metrics` facade and an in-process snapshot that the health
    /// route reports). Default on.
    pub metrics: bool,
    /// Serve `GET /metrics` with what this returns (e.g. a Prometheus handle's `render`, set
    /// by a binary that installed the recorder). Default none: no route.
    pub metrics_route: Option<MetricsRender>,
    /// Fallback for `GET` paths no other route matches (e.g. a demo page at `/`), checked
    /// after the WebSocket, health and metrics paths. Default none: such paths answer 404.
    pub static_route: Option<StaticRoute>,
    /// How often the health checks run. Default 5 s.
    pub health_interval: Duration,
    /// Accept state-sync messages (one shared JSON document per subject). Default on.
    pub state_sync: bool,
    /// Deltas each document keeps for catch-up; older clients get a snapshot. Default 1,000
    /// deltas or 1 MiB, whichever is reached first.
    pub state_history: state_sync::HistoryConfig,
    /// Ask for a token refresh this long before the credential expires. Default 30 s.
    pub refresh_lead: Duration,
    /// Close the connection this long after expiry without a refresh. Default 10 s.
    pub refresh_grace: Duration,
    /// Most bytes held in flight by the whole server: large messages being read, received
    /// messages not yet taken by handlers, replay buffers. At the limit, connections that
    /// need more stop reading (backpressure) and new sessions are refused with close code
    /// 1013 (`docs/operations.md`, "Memory budget"). Default `None`: a quarter of
    /// `MemAvailable` in `/proc/meminfo` when the server is built (1 GiB where it cannot be
    /// read), and never less than twice `max_message_size`. A value must be at least twice
    /// `max_message_size`.
    pub memory_budget: Option<usize>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            session: ws_proto::Config::default(),
            path: "/ws".to_owned(),
            handshake_timeout: Duration::from_secs(10),
            hello_timeout: Duration::from_secs(10),
            max_connections: 10_000,
            max_sessions: 10_000,
            max_message_size: 2 << 20,
            read_buffer_size: 4 << 10,
            max_messages_per_second: None,
            allowed_origins: Vec::new(),
            health_cors: None,
            health: true,
            dedup: Some(dedup::Config::default()),
            state_sync: true,
            state_history: state_sync::HistoryConfig::default(),
            metrics: true,
            metrics_route: None,
            static_route: None,
            health_interval: Duration::from_secs(5),
            refresh_lead: Duration::from_secs(30),
            refresh_grace: Duration::from_secs(10),
            memory_budget: None,
        }
    }
}

impl ServerConfig {
    /// Sets the per-session protocol settings.
    pub fn session(mut self, session: ws_proto::Config) -> Self {
        self.session = session;
        self
    }

    /// Sets the allowed origins.
    pub fn allowed_origins<I, S>(mut self, origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allowed_origins = origins.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the resume window.
    pub fn resume_window(mut self, window: Duration) -> Self {
        self.session.resume_window = window;
        self
    }

    /// Checks the values once.
    pub fn validate(&self) -> Result<()> {
        self.session.validate()?;
        if !self.path.starts_with('/') {
            return Err(Error::Config(format!("path {:?} must start with '/'", self.path)));
        }
        if self.max_connections == 0 || self.max_sessions == 0 {
            return Err(Error::Config("limits must be positive".to_owned()));
        }
        check_message_size(self.max_message_size, &self.session)?;
        let least = self.max_message_size.saturating_mul(2);
        if self.memory_budget.is_some_and(|budget| budget < least) {
            return Err(Error::Config(format!(
                "memory_budget below {least} (2 x max_message_size)"
            )));
        }
        Ok(())
    }

    /// Sets the memory budget, in bytes.
    pub fn memory_budget(mut self, bytes: usize) -> Self {
        self.memory_budget = Some(bytes);
        self
    }

    /// The memory budget in force: the set one, or the machine's default.
    pub(crate) fn budget_limit(&self) -> usize {
        let least = self.max_message_size.saturating_mul(2);
        self.memory_budget.unwrap_or_else(|| crate::server::budget::machine_default().max(least))
    }

    pub(crate) fn websocket(&self) -> WebSocketConfig {
        websocket_config(self.read_buffer_size, self.max_message_size)
    }
}
