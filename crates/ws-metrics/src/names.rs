//! Metric names and label keys, in one place so dashboards and code agree.
//!
//! Every name starts with `wsr_` and follows Prometheus conventions: counters end in `_total`,
//! durations are in seconds (`_seconds`), sizes in bytes (`_bytes`). Each constant's doc gives
//! its type, unit, labels and meaning. [`describe`] registers the same facts with the recorder.

use metrics::Unit;

/// Counter, connections: WebSocket connections accepted or established.
pub const CONNECTIONS_OPENED_TOTAL: &str = "wsr_connections_opened_total";
/// Gauge, connections: connections currently open.
pub const CONNECTIONS_ACTIVE: &str = "wsr_connections_active";
/// Counter, connections, label [`REASON`]: connections closed, by close reason.
pub const CONNECTIONS_CLOSED_TOTAL: &str = "wsr_connections_closed_total";
/// Counter, connections, label [`REASON`]: connection attempts that failed before opening.
pub const CONNECTIONS_FAILED_TOTAL: &str = "wsr_connections_failed_total";
/// Counter, connections: ghost connections (silent past the heartbeat deadline) reaped.
pub const CONNECTIONS_GHOST_TOTAL: &str = "wsr_connections_ghost_total";

/// Counter, messages: application messages written to a socket.
pub const MESSAGES_SENT_TOTAL: &str = "wsr_messages_sent_total";
/// Counter, messages: application messages read from a socket.
pub const MESSAGES_RECEIVED_TOTAL: &str = "wsr_messages_received_total";
/// Counter, messages: sent messages acknowledged by the peer.
pub const MESSAGES_ACKED_TOTAL: &str = "wsr_messages_acked_total";
/// Counter, messages: re-sends of a message not acknowledged in time.
pub const MESSAGES_RETRIED_TOTAL: &str = "wsr_messages_retried_total";
/// Counter, messages, label [`REASON`]: messages given up on and moved to the dead-letter store.
pub const MESSAGES_DEAD_LETTERED_TOTAL: &str = "wsr_messages_dead_lettered_total";
/// Counter, messages: received duplicates dropped by deduplication.
pub const MESSAGES_DEDUPLICATED_TOTAL: &str = "wsr_messages_deduplicated_total";
/// Counter, bytes: payload bytes sent.
pub const SENT_BYTES_TOTAL: &str = "wsr_sent_bytes_total";
/// Counter, bytes: payload bytes received.
pub const RECEIVED_BYTES_TOTAL: &str = "wsr_received_bytes_total";
/// Histogram, seconds: time from first send of a message to its acknowledgement.
pub const SEND_LATENCY_SECONDS: &str = "wsr_send_latency_seconds";

/// Gauge, messages: messages waiting in outbound queues (sum over queues).
pub const QUEUE_DEPTH: &str = "wsr_queue_depth";
/// Gauge, bytes: payload bytes waiting in outbound queues (sum over queues).
pub const QUEUE_BYTES: &str = "wsr_queue_bytes";
/// Gauge, seconds: age of the oldest sent but unacknowledged message.
pub const QUEUE_OLDEST_UNACKED_AGE_SECONDS: &str = "wsr_queue_oldest_unacked_age_seconds";
/// Counter, events: enqueues that hit a full queue and triggered its overflow policy.
pub const QUEUE_OVERFLOWS_TOTAL: &str = "wsr_queue_overflows_total";

/// Counter, resumes: session resumes attempted by reconnecting clients.
pub const RESUMES_ATTEMPTED_TOTAL: &str = "wsr_resumes_attempted_total";
/// Counter, resumes: resumes that replayed every missed message.
pub const RESUMES_SUCCEEDED_TOTAL: &str = "wsr_resumes_succeeded_total";
/// Counter, resumes, label [`REASON`]: resumes that could not replay (session expired, gap).
pub const RESUMES_LOST_TOTAL: &str = "wsr_resumes_lost_total";

/// Gauge, state code, label [`BREAKER`]: circuit breaker state: 0 closed, 1 half-open, 2 open.
pub const CIRCUIT_BREAKER_STATE: &str = "wsr_circuit_breaker_state";
/// Counter, transitions, labels [`BREAKER`] and [`STATE`] (the state entered).
pub const CIRCUIT_BREAKER_TRANSITIONS_TOTAL: &str = "wsr_circuit_breaker_transitions_total";

/// Histogram, seconds: heartbeat round-trip time (ping to pong).
pub const HEARTBEAT_RTT_SECONDS: &str = "wsr_heartbeat_rtt_seconds";
/// Counter, refreshes, label [`OUTCOME`] (`success` or `failure`): auth token refreshes.
pub const TOKEN_REFRESHES_TOTAL: &str = "wsr_token_refreshes_total";

/// Gauge, bytes: bytes held in flight server-wide (the memory budget's use).
pub const MEMORY_BUDGET_USED_BYTES: &str = "wsr_memory_budget_used_bytes";
/// Gauge, bytes: the memory budget's limit.
pub const MEMORY_BUDGET_LIMIT_BYTES: &str = "wsr_memory_budget_limit_bytes";
/// Counter, reads: times a connection stopped reading until the budget had room.
pub const MEMORY_BUDGET_PAUSED_READS_TOTAL: &str = "wsr_memory_budget_paused_reads_total";
/// Counter, sessions: new sessions refused (close 1013) while the budget was reached.
pub const MEMORY_BUDGET_REFUSED_SESSIONS_TOTAL: &str = "wsr_memory_budget_refused_sessions_total";

/// Counter, messages, label [`CLIENT`]: messages sent to one client.
pub const CLIENT_MESSAGES_SENT_TOTAL: &str = "wsr_client_messages_sent_total";
/// Counter, messages, label [`CLIENT`]: messages received from one client.
pub const CLIENT_MESSAGES_RECEIVED_TOTAL: &str = "wsr_client_messages_received_total";
/// Counter, clients: distinct clients whose metrics went to the [`OVERFLOW`] label value.
pub const CLIENT_LABELS_OVERFLOWED_TOTAL: &str = "wsr_client_labels_overflowed_total";

/// Label key: why a connection closed, an attempt failed, a message was dead-lettered or a
/// resume was lost. Values are `&'static str` chosen by the server, never peer input.
pub const REASON: &str = "reason";
/// Label key: circuit breaker name.
pub const BREAKER: &str = "breaker";
/// Label key: circuit breaker state entered (`closed`, `half_open`, `open`).
pub const STATE: &str = "state";
/// Label key: outcome of an operation (`success` or `failure`).
pub const OUTCOME: &str = "outcome";
/// Label key: client identifier, bounded by the per-client label cap.
pub const CLIENT: &str = "client";
/// Label value standing for every client beyond the per-client label cap.
pub const OVERFLOW: &str = "__overflow__";

/// The kind of a metric, for [`ALL`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Monotonic count.
    Counter,
    /// Value that goes up and down.
    Gauge,
    /// Distribution of observations.
    Histogram,
}

/// Every metric: name, kind, unit and description.
pub const ALL: &[(&str, Kind, Unit, &str)] = &[
    (CONNECTIONS_OPENED_TOTAL, Kind::Counter, Unit::Count, "Connections opened."),
    (CONNECTIONS_ACTIVE, Kind::Gauge, Unit::Count, "Connections currently open."),
    (CONNECTIONS_CLOSED_TOTAL, Kind::Counter, Unit::Count, "Connections closed, by reason."),
    (CONNECTIONS_FAILED_TOTAL, Kind::Counter, Unit::Count, "Connection attempts failed."),
    (CONNECTIONS_GHOST_TOTAL, Kind::Counter, Unit::Count, "Ghost connections reaped."),
    (MESSAGES_SENT_TOTAL, Kind::Counter, Unit::Count, "Messages sent."),
    (MESSAGES_RECEIVED_TOTAL, Kind::Counter, Unit::Count, "Messages received."),
    (MESSAGES_ACKED_TOTAL, Kind::Counter, Unit::Count, "Messages acknowledged."),
    (MESSAGES_RETRIED_TOTAL, Kind::Counter, Unit::Count, "Message re-sends."),
    (MESSAGES_DEAD_LETTERED_TOTAL, Kind::Counter, Unit::Count, "Messages dead-lettered."),
    (MESSAGES_DEDUPLICATED_TOTAL, Kind::Counter, Unit::Count, "Duplicates dropped."),
    (SENT_BYTES_TOTAL, Kind::Counter, Unit::Bytes, "Payload bytes sent."),
    (RECEIVED_BYTES_TOTAL, Kind::Counter, Unit::Bytes, "Payload bytes received."),
    (SEND_LATENCY_SECONDS, Kind::Histogram, Unit::Seconds, "Send to ack latency."),
    (QUEUE_DEPTH, Kind::Gauge, Unit::Count, "Messages queued."),
    (QUEUE_BYTES, Kind::Gauge, Unit::Bytes, "Bytes queued."),
    (QUEUE_OLDEST_UNACKED_AGE_SECONDS, Kind::Gauge, Unit::Seconds, "Oldest unacked age."),
    (QUEUE_OVERFLOWS_TOTAL, Kind::Counter, Unit::Count, "Queue overflows."),
    (RESUMES_ATTEMPTED_TOTAL, Kind::Counter, Unit::Count, "Resumes attempted."),
    (RESUMES_SUCCEEDED_TOTAL, Kind::Counter, Unit::Count, "Resumes succeeded."),
    (RESUMES_LOST_TOTAL, Kind::Counter, Unit::Count, "Resumes lost, by reason."),
    (
        CIRCUIT_BREAKER_STATE,
        Kind::Gauge,
        Unit::Count,
        "Breaker state: 0 closed, 1 half-open, 2 open.",
    ),
    (CIRCUIT_BREAKER_TRANSITIONS_TOTAL, Kind::Counter, Unit::Count, "Breaker transitions."),
    (HEARTBEAT_RTT_SECONDS, Kind::Histogram, Unit::Seconds, "Heartbeat round-trip time."),
    (TOKEN_REFRESHES_TOTAL, Kind::Counter, Unit::Count, "Token refreshes, by outcome."),
    (MEMORY_BUDGET_USED_BYTES, Kind::Gauge, Unit::Bytes, "Bytes held in flight."),
    (MEMORY_BUDGET_LIMIT_BYTES, Kind::Gauge, Unit::Bytes, "Memory budget limit."),
    (MEMORY_BUDGET_PAUSED_READS_TOTAL, Kind::Counter, Unit::Count, "Reads paused for memory."),
    (
        MEMORY_BUDGET_REFUSED_SESSIONS_TOTAL,
        Kind::Counter,
        Unit::Count,
        "Sessions refused for memory.",
    ),
    (CLIENT_MESSAGES_SENT_TOTAL, Kind::Counter, Unit::Count, "Messages sent, per client."),
    (CLIENT_MESSAGES_RECEIVED_TOTAL, Kind::Counter, Unit::Count, "Messages received, per client."),
    (CLIENT_LABELS_OVERFLOWED_TOTAL, Kind::Counter, Unit::Count, "Clients beyond the label cap."),
];

/// Registers the unit and description of every metric with the installed recorder (if any),
/// so that exporters print `# HELP` lines. Call once after installing a recorder.
pub fn describe() {
    for &(name, kind, unit, help) in ALL {
        match kind {
            Kind::Counter => metrics::describe_counter!(name, unit, help),
            Kind::Gauge => metrics::describe_gauge!(name, unit, help),
            Kind::Histogram => metrics::describe_histogram!(name, unit, help),
        }
    }
}
