use std::{
    collections::{BTreeMap, HashMap, HashSet},
    time::Duration,
};

use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use proptest::prelude::*;

use super::*;
use crate::names::*;

/// What the debugging recorder saw: `(name, sorted labels)` to value.
type Recorded = BTreeMap<(String, Vec<(String, String)>), DebugValue>;

/// Runs `f` with a local debugging recorder and returns everything it recorded.
fn recorded(f: impl FnOnce()) -> Recorded {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    metrics::with_local_recorder(&recorder, f);
    let mut out = Recorded::new();
    for (key, _, _, value) in snapshotter.snapshot().into_vec() {
        let key = key.key();
        let mut labels: Vec<_> =
            key.labels().map(|l| (l.key().to_owned(), l.value().to_owned())).collect();
        labels.sort();
        out.insert((key.name().to_owned(), labels), value);
    }
    out
}

#[track_caller]
fn check(recorded: &Recorded, name: &str, labels: &[(&str, &str)], expected: &DebugValue) {
    let labels = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let got = recorded.get(&(name.to_owned(), labels));
    assert_eq!(got, Some(expected), "{name} {recorded:#?}");
}

fn gauge(value: f64) -> DebugValue {
    DebugValue::Gauge(value.into())
}

fn exercise(metrics: &Metrics) {
    metrics.connection_opened();
    metrics.connection_opened();
    metrics.connection_closed("client_close");
    metrics.connection_failed("tls");
    metrics.ghost_reaped();
    metrics.message_sent(100);
    metrics.message_sent(50);
    metrics.message_received(7);
    metrics.messages_acked(2);
    metrics.message_retried();
    metrics.message_dead_lettered("max_retries");
    metrics.message_deduplicated();
    metrics.send_latency(Duration::from_millis(30));
    metrics.queue_depth(4);
    metrics.queue_bytes(400);
    metrics.queue_oldest_unacked_age(Duration::from_millis(1_500));
    metrics.queue_overflowed();
    metrics.resume_attempted();
    metrics.resume_succeeded();
    metrics.resume_lost("expired");
    metrics.breaker_state("redis", BreakerState::Open);
    metrics.breaker_state("redis", BreakerState::Open);
    metrics.heartbeat_rtt(Duration::from_millis(20));
    metrics.token_refreshed(true);
    metrics.token_refreshed(false);
    metrics.client_message_sent("alice");
    metrics.client_message_received("alice");
}

/// A series: name, labels, value.
type Series = (&'static str, Vec<(&'static str, &'static str)>, DebugValue);

/// Every series [`exercise`] must produce: name, labels, value.
fn expected_series() -> Vec<Series> {
    use DebugValue::Counter;
    let histogram = |v: f64| DebugValue::Histogram(vec![v.into()]);
    vec![
        (CONNECTIONS_OPENED_TOTAL, vec![], Counter(2)),
        (CONNECTIONS_ACTIVE, vec![], gauge(1.0)),
        (CONNECTIONS_CLOSED_TOTAL, vec![(REASON, "client_close")], Counter(1)),
        (CONNECTIONS_FAILED_TOTAL, vec![(REASON, "tls")], Counter(1)),
        (CONNECTIONS_GHOST_TOTAL, vec![], Counter(1)),
        (MESSAGES_SENT_TOTAL, vec![], Counter(2)),
        (SENT_BYTES_TOTAL, vec![], Counter(150)),
        (MESSAGES_RECEIVED_TOTAL, vec![], Counter(1)),
        (RECEIVED_BYTES_TOTAL, vec![], Counter(7)),
        (MESSAGES_ACKED_TOTAL, vec![], Counter(2)),
        (MESSAGES_RETRIED_TOTAL, vec![], Counter(1)),
        (MESSAGES_DEAD_LETTERED_TOTAL, vec![(REASON, "max_retries")], Counter(1)),
        (MESSAGES_DEDUPLICATED_TOTAL, vec![], Counter(1)),
        (SEND_LATENCY_SECONDS, vec![], histogram(0.03)),
        (QUEUE_DEPTH, vec![], gauge(4.0)),
        (QUEUE_BYTES, vec![], gauge(400.0)),
        (QUEUE_OLDEST_UNACKED_AGE_SECONDS, vec![], gauge(1.5)),
        (QUEUE_OVERFLOWS_TOTAL, vec![], Counter(1)),
        (RESUMES_ATTEMPTED_TOTAL, vec![], Counter(1)),
        (RESUMES_SUCCEEDED_TOTAL, vec![], Counter(1)),
        (RESUMES_LOST_TOTAL, vec![(REASON, "expired")], Counter(1)),
        (CIRCUIT_BREAKER_STATE, vec![(BREAKER, "redis")], gauge(2.0)),
        (CIRCUIT_BREAKER_TRANSITIONS_TOTAL, vec![(BREAKER, "redis"), (STATE, "open")], Counter(1)),
        (HEARTBEAT_RTT_SECONDS, vec![], histogram(0.02)),
        (TOKEN_REFRESHES_TOTAL, vec![(OUTCOME, "success")], Counter(1)),
        (TOKEN_REFRESHES_TOTAL, vec![(OUTCOME, "failure")], Counter(1)),
        (CLIENT_MESSAGES_SENT_TOTAL, vec![(CLIENT, "alice")], Counter(1)),
        (CLIENT_MESSAGES_RECEIVED_TOTAL, vec![(CLIENT, "alice")], Counter(1)),
    ]
}

#[test]
fn every_event_is_recorded_under_its_documented_name_and_labels() {
    let recorded = recorded(|| exercise(&Metrics::new()));
    let expected = expected_series();
    for (name, labels, value) in &expected {
        check(&recorded, name, labels, value);
    }
    assert_eq!(recorded.len(), expected.len(), "unexpected extra series: {recorded:#?}");
}

#[test]
fn snapshot_works_without_a_recorder_and_has_the_json_shape() {
    let metrics = Metrics::new();
    exercise(&metrics);
    let json = serde_json::to_value(metrics.snapshot()).unwrap();
    let c = &json["connections"];
    assert_eq!((c["opened"].as_u64(), c["active"].as_u64()), (Some(2), Some(1)));
    assert_eq!(c["closed"], 1);
    assert_eq!(c["closed_by_reason"]["client_close"], 1);
    assert_eq!(c["failed_by_reason"]["tls"], 1);
    assert_eq!(c["ghosts"], 1);
    let m = &json["messages"];
    assert_eq!((m["sent"].as_u64(), m["bytes_sent"].as_u64()), (Some(2), Some(150)));
    assert_eq!(m["dead_lettered_by_reason"]["max_retries"], 1);
    assert_eq!((m["received"].as_u64(), m["bytes_received"].as_u64()), (Some(1), Some(7)));
    assert_eq!((m["acked"].as_u64(), m["retried"].as_u64()), (Some(2), Some(1)));
    assert_eq!(m["deduplicated"], 1);
    let r = &json["resumes"];
    assert_eq!((r["attempted"].as_u64(), r["succeeded"].as_u64()), (Some(1), Some(1)));
    assert_eq!(json["queue"]["oldest_unacked_age_seconds"], 1.5);
    assert_eq!(json["resumes"]["lost_by_reason"]["expired"], 1);
    let redis = &json["circuit_breakers"]["redis"];
    assert_eq!((redis["state"].as_str(), redis["transitions"].as_u64()), (Some("open"), Some(1)));
    assert_eq!(json["heartbeat_rtt"]["count"], 1);
    assert_eq!(json["heartbeat_rtt"]["max_seconds"], 0.02);
    assert_eq!(json["send_latency"]["mean_seconds"], 0.03);
    assert_eq!(json["token_refreshes"]["failed"], 1);
    assert_eq!(json["clients"]["by_client"]["alice"]["sent"], 1);
    let sections: HashSet<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
    let expected = [
        "connections",
        "messages",
        "queue",
        "resumes",
        "circuit_breakers",
        "heartbeat_rtt",
        "send_latency",
        "token_refreshes",
        "clients",
    ];
    assert_eq!(sections, expected.into_iter().collect());
}

#[test]
fn closes_never_drive_active_below_zero_and_breaker_transitions_count_changes() {
    let metrics = Metrics::new();
    metrics.connection_closed("shutdown");
    assert_eq!(metrics.snapshot().connections.active, 0);
    metrics.breaker_state("db", BreakerState::Closed);
    metrics.breaker_state("db", BreakerState::Open);
    metrics.breaker_state("db", BreakerState::HalfOpen);
    metrics.breaker_state("db", BreakerState::Closed);
    let db = metrics.snapshot().circuit_breakers["db"];
    assert_eq!((db.state, db.transitions), (BreakerState::Closed, 3));
}

#[test]
fn the_101st_client_goes_to_overflow_and_is_counted_once() {
    let metrics = Metrics::new();
    let r = recorded(|| {
        for i in 0..101 {
            metrics.client_message_sent(&format!("client-{i}"));
        }
        metrics.client_message_sent("client-100");
        metrics.client_message_received("client-0");
    });
    check(&r, CLIENT_MESSAGES_SENT_TOTAL, &[(CLIENT, "client-99")], &DebugValue::Counter(1));
    check(&r, CLIENT_MESSAGES_SENT_TOTAL, &[(CLIENT, OVERFLOW)], &DebugValue::Counter(2));
    check(&r, CLIENT_LABELS_OVERFLOWED_TOTAL, &[], &DebugValue::Counter(1));
    let clients = metrics.snapshot().clients;
    assert_eq!((clients.cap, clients.tracked), (100, 100));
    assert_eq!((clients.overflow_clients, clients.overflow_events), (1, 2));
    assert_eq!(clients.by_client[OVERFLOW].sent, 2);
    assert_eq!(clients.by_client["client-0"].received, 1);
    assert!(!clients.by_client.contains_key("client-100"));

    assert!(metrics.release_client("client-0"));
    metrics.client_message_sent("newcomer");
    assert_eq!(metrics.snapshot().clients.by_client["newcomer"].sent, 1);
}

#[test]
fn overflow_memory_is_bounded_and_saturation_is_reported() {
    let mut labels = ClientLabels::new(1, 2);
    assert_eq!(&*labels.assign("a").label, "a");
    for id in ["b", "c", "d", "e", "b"] {
        assert_eq!(&*labels.assign(id).label, OVERFLOW);
    }
    let stats = labels.stats();
    assert_eq!((stats.overflow_clients, stats.overflow_events), (2, 5));
    assert!(stats.overflow_saturated);
}

#[test]
fn latency_mean_divides_the_sum_by_the_count() {
    let metrics = Metrics::new();
    metrics.send_latency(Duration::from_millis(30));
    metrics.send_latency(Duration::from_millis(10));
    let latency = metrics.snapshot().send_latency;
    assert_eq!(latency.count, 2);
    assert!((latency.mean_seconds - 0.02).abs() < 1e-9, "{}", latency.mean_seconds);
}

#[test]
fn no_overflow_row_until_a_client_overflows() {
    let metrics = Metrics::new();
    metrics.client_message_sent("alice");
    assert!(!metrics.snapshot().clients.by_client.contains_key(OVERFLOW));
}

#[test]
fn overflow_memory_setting_bounds_the_remembered_ids() {
    let config = MetricsConfig::default().client_label_cap(1).overflow_memory(1);
    let metrics = Metrics::with_config(config).unwrap();
    for id in ["a", "b", "c"] {
        metrics.client_message_sent(id);
    }
    let clients = metrics.snapshot().clients;
    assert_eq!(clients.overflow_clients, 1);
    assert!(clients.overflow_saturated);
    // The hot-path handles print as an opaque placeholder, not their internals.
    assert!(format!("{metrics:?}").contains("Hot { .. }"));
}

#[test]
fn config_is_validated() {
    let zero = MetricsConfig::default().client_label_cap(0);
    assert!(matches!(Metrics::with_config(zero), Err(Error::ZeroClientLabelCap)));
    let small = MetricsConfig::default().client_label_cap(2).overflow_memory(5);
    assert!(Metrics::with_config(small).is_ok());
}

#[test]
fn names_follow_prometheus_conventions() {
    let mut seen = HashSet::new();
    for &(name, kind, unit, help) in ALL {
        assert!(seen.insert(name), "duplicate {name}");
        assert!(name.starts_with("wsr_") && !help.is_empty(), "{name}");
        assert_eq!(kind == names::Kind::Counter, name.ends_with("_total"), "{name}");
        if unit == metrics::Unit::Seconds {
            assert!(name.ends_with("_seconds"), "{name}");
        }
        if unit == metrics::Unit::Bytes {
            assert!(name.contains("_bytes"), "{name}");
        }
    }
    assert_eq!(seen.len(), 32);
}

#[cfg(feature = "prometheus")]
#[test]
fn prometheus_renders_text_exposition() {
    let recorder = prometheus::build_recorder().unwrap();
    let handle = recorder.handle();
    metrics::with_local_recorder(&recorder, || {
        names::describe();
        let metrics = Metrics::new();
        metrics.message_sent(10);
        metrics.connection_closed("ghost");
        metrics.heartbeat_rtt(Duration::from_millis(20));
    });
    let text = handle.render();
    for line in [
        "# HELP wsr_messages_sent_total Messages sent.",
        "# TYPE wsr_messages_sent_total counter",
        "wsr_messages_sent_total 1",
        "wsr_sent_bytes_total 10",
        "wsr_connections_closed_total{reason=\"ghost\"} 1",
        "wsr_heartbeat_rtt_seconds_bucket{le=\"0.025\"} 1",
        "wsr_heartbeat_rtt_seconds_bucket{le=\"0.01\"} 0",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Against a model: at most `cap` clients hold a label, a labelled client keeps it, and
    /// the distinct overflow count matches the set of clients ever sent to overflow.
    #[test]
    fn label_registry_matches_model(
        cap in 1usize..5,
        ops in prop::collection::vec((0u8..10, any::<bool>()), 0..60),
    ) {
        let mut labels = ClientLabels::new(cap, 1_000);
        let mut held: HashMap<String, ()> = HashMap::new();
        let mut overflowed = HashSet::new();
        for (id, release) in ops {
            let id = format!("c{id}");
            if release {
                prop_assert_eq!(labels.release(&id), held.remove(&id).is_some());
                continue;
            }
            let got = labels.assign(&id);
            if held.contains_key(&id) || held.len() < cap {
                held.insert(id.clone(), ());
                prop_assert_eq!(&*got.label, id.as_str());
            } else {
                prop_assert_eq!(&*got.label, OVERFLOW);
                prop_assert_eq!(got.newly_overflowed, overflowed.insert(id));
            }
        }
        let stats = labels.stats();
        prop_assert_eq!(stats.tracked, held.len());
        prop_assert_eq!(stats.overflow_clients, overflowed.len() as u64);
    }
}
