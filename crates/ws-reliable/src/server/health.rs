//! `GET /health/websocket` and `GET /metrics`.
//!
//! Health checks (perf-monitor) run concurrently on a timer, each with its own timeout, so the
//! route only reads the latest report: it never runs checks on the request path. The body adds
//! live figures and the metrics snapshot, which is kept by the library itself so the route
//! works whether or not a metrics recorder is installed.

use std::sync::{Arc, Weak};

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Response, StatusCode};
use http_body_util::Full;
use perf_monitor::{
    GhostConnections, Monitor, PeriodicMonitor, QueueSaturation, Report, SchedulingLag, Thresholds,
};
use serde::Serialize;
use ws_proto::Phase;

use crate::server::budget::BudgetFigures;
use crate::server::conns::RegistryFigures;
use crate::server::http::{HttpResponse, text};
use crate::server::state::ServerState;

/// Live figures of the server.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Figures {
    connections: usize,
    sessions: usize,
    attached: usize,
    detached: usize,
    buffered_messages: usize,
    buffered_bytes: usize,
    /// The connection registry (`conn-state`): connections per state, force-closes so far.
    registry: RegistryFigures,
    /// The memory budget: limit, use, whether new sessions are refused.
    memory_budget: BudgetFigures,
}

#[derive(Serialize)]
struct Body<'a> {
    #[serde(flatten)]
    report: &'a Report,
    /// Why new sessions are refused, while they are (the status is then 503).
    #[serde(skip_serializing_if = "Option::is_none")]
    refusing: Option<&'static str>,
    server: Figures,
    metrics: Option<ws_metrics::Snapshot>,
}

/// Starts the periodic checks: session capacity, replay-buffer fill, ghost connections whose
/// force-close has not completed (`Failed` in the registry), and runtime scheduling lag.
pub(crate) fn start(
    state: Weak<ServerState>,
    interval: std::time::Duration,
) -> Option<PeriodicMonitor> {
    let mut monitor = Monitor::new();
    let budget = budget_check(state.clone())?;
    let (s1, s2, s3) = (state.clone(), state.clone(), state);
    let sessions = QueueSaturation::new(
        "sessions",
        move || capacity(&s1, |s| (s.sessions.len(), s.config.max_sessions)),
        0.8,
        0.95,
    );
    let buffers =
        QueueSaturation::new("replay_buffers", move || capacity(&s2, buffer_fill), 0.8, 0.95);
    monitor.register(sessions.ok()?).ok()?;
    monitor.register(buffers.ok()?).ok()?;
    let failed = move || s3.upgrade().map_or(0, |s| s.registry.failed());
    monitor.register(GhostConnections::new(failed, Thresholds::new(1, 16).ok()?)).ok()?;
    monitor.register(SchedulingLag::new()).ok()?;
    monitor.register(budget).ok()?;
    monitor.spawn_periodic(interval).ok()
}

/// The memory budget's fill (degraded from 90 %); each run also sets its gauges.
fn budget_check(
    state: Weak<ServerState>,
) -> Option<QueueSaturation<impl Fn() -> (usize, usize) + Send + Sync + 'static>> {
    let fill = move || {
        capacity(&state, |s| {
            let figures = s.budget.figures();
            (figures.used, figures.limit)
        })
    };
    QueueSaturation::new("memory_budget", fill, 0.9, 1.0).ok()
}

fn capacity(
    state: &Weak<ServerState>,
    f: impl Fn(&ServerState) -> (usize, usize),
) -> (usize, usize) {
    state.upgrade().map_or((0, 1), |s| f(&s))
}

fn buffer_fill(state: &ServerState) -> (usize, usize) {
    let figures = figures(state);
    let capacity = figures.sessions.max(1) * state.config.session.max_buffered_bytes;
    (figures.buffered_bytes, capacity)
}

/// Counts connections, sessions and buffered data.
pub(crate) fn figures(state: &ServerState) -> Figures {
    let mut f = Figures { connections: state.connections.get(), ..Figures::default() };
    f.registry = state.registry.figures();
    f.memory_budget = state.budget.figures();
    state.sessions.for_each(|shared| {
        let (phase, (messages, bytes)) = shared.with(|m| (m.phase(), m.buffered()));
        f.sessions += 1;
        f.attached += usize::from(phase == Phase::Attached);
        f.detached += usize::from(matches!(phase, Phase::Detached(_)));
        f.buffered_messages += messages;
        f.buffered_bytes += bytes;
    });
    f
}

/// Answers the health route: 200 when healthy, 503 otherwise.
pub(crate) fn respond(state: &ServerState) -> HttpResponse {
    let Some(report) = state.health.get().map(PeriodicMonitor::latest) else {
        return text(StatusCode::SERVICE_UNAVAILABLE, "health checks not running");
    };
    let server = figures(state);
    let refusing = server
        .memory_budget
        .refusing
        .then_some("memory budget reached: new sessions are refused (close 1013)");
    let metrics = state.metrics.as_ref().map(ws_metrics::Metrics::snapshot);
    let body = Body { report: &report, refusing, server, metrics };
    let body = serde_json::to_vec(&body).unwrap_or_default();
    let mut response = Response::new(Full::new(Bytes::from(body)));
    let status = if refusing.is_some() { 503 } else { report.http_status() };
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Some(cors) =
        state.config.health_cors.as_deref().and_then(|c| HeaderValue::from_str(c).ok())
    {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, cors);
    }
    response
}

/// Answers `GET /metrics` from the configured renderer.
pub(crate) fn metrics(state: &ServerState) -> HttpResponse {
    match &state.config.metrics_route {
        Some(render) => text(StatusCode::OK, &render()),
        None => text(StatusCode::NOT_FOUND, "metrics route not configured"),
    }
}

/// Keeps the monitor alive as long as the server state.
pub(crate) type HealthSlot = std::sync::OnceLock<PeriodicMonitor>;

/// Installs the monitor once the state exists.
pub(crate) fn install(state: &Arc<ServerState>) {
    if state.config.health
        && let Some(monitor) = start(Arc::downgrade(state), state.config.health_interval)
    {
        let _ = state.health.set(monitor);
    }
}
