//! `GET /health/websocket`: a JSON report that never depends on a metrics recorder.

use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Response, StatusCode};
use http_body_util::Full;
use serde::Serialize;
use ws_proto::Phase;

use crate::server::http::HttpResponse;
use crate::server::state::ServerState;

/// The health report.
#[derive(Debug, Serialize)]
pub(crate) struct Health {
    status: &'static str,
    timestamp_ms: u128,
    connections: usize,
    sessions: usize,
    attached: usize,
    detached: usize,
    buffered_messages: usize,
    buffered_bytes: usize,
}

/// Healthy below 90% of the session limit, degraded above it.
pub(crate) fn report(state: &ServerState) -> Health {
    let mut health = Health {
        status: "healthy",
        timestamp_ms: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis()),
        connections: state.connections.load(Ordering::Relaxed),
        sessions: 0,
        attached: 0,
        detached: 0,
        buffered_messages: 0,
        buffered_bytes: 0,
    };
    state.sessions.for_each(|shared| {
        let (phase, (messages, bytes)) = shared.with(|m| (m.phase(), m.buffered()));
        health.sessions += 1;
        health.attached += usize::from(phase == Phase::Attached);
        health.detached += usize::from(matches!(phase, Phase::Detached(_)));
        health.buffered_messages += messages;
        health.buffered_bytes += bytes;
    });
    if health.sessions * 10 >= state.config.max_sessions * 9 {
        health.status = "degraded";
    }
    health
}

pub(crate) fn respond(state: &ServerState) -> HttpResponse {
    let health = report(state);
    let body = serde_json::to_vec(&health).unwrap_or_default();
    let mut response = Response::new(Full::new(Bytes::from(body)));
    if health.status != "healthy" {
        *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    }
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(cors) = state
        .config
        .health_cors
        .as_deref()
        .and_then(|c| HeaderValue::from_str(c).ok())
    {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, cors);
    }
    response
}
