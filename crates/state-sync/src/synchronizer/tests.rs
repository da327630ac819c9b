//! Tests for the synchronizer: every listener result is inspected and classified.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use serde_json::json;

use super::*;
use crate::{Conflict, FailureKind, HistoryConfig, ListenerError, SnapshotReason};

/// A sum; deltas are added.
#[derive(Clone, Debug, Default, PartialEq)]
struct Sum(i64);

impl Apply for Sum {
    type Delta = i64;

    fn apply(&mut self, delta: &i64) {
        self.0 += delta;
    }
}

#[derive(Clone, Copy, Debug)]
enum Behavior {
    Succeed,
    Fail,
    Panic,
    Hang,
}

/// A listener that records what it saw, then behaves as told.
#[derive(Clone)]
struct Probe {
    behavior: Arc<Mutex<Behavior>>,
    seen: Arc<Mutex<Vec<(Version, i64)>>>,
}

#[async_trait]
impl Listener<i64> for Probe {
    async fn on_update(&self, version: Version, delta: &i64) -> Result<(), ListenerError> {
        self.seen.lock().push((version, *delta));
        let behavior = *self.behavior.lock();
        match behavior {
            Behavior::Succeed => Ok(()),
            Behavior::Fail => Err(ListenerError::new("disk full")),
            Behavior::Panic => panic!("boom"),
            Behavior::Hang => std::future::pending().await,
        }
    }
}

impl Probe {
    fn new(behavior: Behavior) -> Self {
        Self { behavior: Arc::new(Mutex::new(behavior)), seen: Arc::default() }
    }

    fn set(&self, behavior: Behavior) {
        *self.behavior.lock() = behavior;
    }

    fn seen(&self) -> Vec<(Version, i64)> {
        self.seen.lock().clone()
    }
}

/// A synchronizer with one probe per `(name, criticality, behavior)`.
fn setup(probes: &[(&str, Criticality, Behavior)]) -> (Synchronizer<Sum>, Vec<Probe>) {
    let sync = Synchronizer::new(Sum(0), SyncConfig::default()).unwrap();
    let mut handles = Vec::new();
    for (name, criticality, behavior) in probes {
        let probe = Probe::new(*behavior);
        sync.register(*name, *criticality, probe.clone()).unwrap();
        handles.push(probe);
    }
    (sync, handles)
}

fn failures(name: &str, kind: FailureKind) -> Vec<ListenerFailure> {
    vec![ListenerFailure { listener: name.to_owned(), kind }]
}

/// A critical listener failing with `behavior` leads to `Error` naming it with `kind`; the
/// update stays committed, the other listeners observed it, later updates are refused until
/// `recover()`, and then updates work again.
#[track_caller]
fn check_critical(behavior: Behavior, kind: FailureKind) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(async {
        let (sync, probes) = critical_failure(behavior, kind.clone()).await;
        refused_until_recover(&sync, &probes, failures("store", kind)).await;
    });
}

/// The second update makes the critical "store" listener fail with `behavior`.
async fn critical_failure(
    behavior: Behavior,
    kind: FailureKind,
) -> (Synchronizer<Sum>, Vec<Probe>) {
    use Criticality::{Critical, NonCritical};
    let (sync, probes) = setup(&[
        ("cache", NonCritical, Behavior::Succeed),
        ("store", Critical, Behavior::Succeed),
        ("audit", Critical, Behavior::Succeed),
    ]);
    assert_eq!(sync.update(0, 5).await.unwrap().version, 1);
    probes[1].set(behavior);
    let expected = failures("store", kind);
    let err = sync.update(1, 10).await.unwrap_err();
    let failed = Error::CriticalListenerFailed { version: 2, failures: expected.clone() };
    assert_eq!(err, failed);
    assert!(err.to_string().contains("store"), "{err}");
    assert_eq!(sync.health(), Health::Error { version: 2, failures: expected });
    assert_eq!(sync.snapshot(), (2, Sum(15)), "the failed update stays committed");
    for probe in &probes {
        assert_eq!(probe.seen(), [(1, 5), (2, 10)], "every listener observed the update");
    }
    (sync, probes)
}

async fn refused_until_recover(
    sync: &Synchronizer<Sum>,
    probes: &[Probe],
    expected: Vec<ListenerFailure>,
) {
    let refused = sync.update(2, 1).await.unwrap_err();
    assert_eq!(refused, Error::InError { version: 2, failures: expected });
    assert_eq!(sync.version(), 2, "a refused update applies nothing");
    assert!(matches!(sync.recover(), Health::Error { .. }));
    probes[1].set(Behavior::Succeed);
    assert_eq!(sync.update(2, 1).await.unwrap().version, 3);
    assert_eq!(sync.health(), Health::Healthy);
    let stats = sync.stats();
    let counters = (stats.version, stats.updates, stats.refused, stats.recoveries);
    assert_eq!(counters, (3, 3, 1, 1));
    assert_eq!(stats.critical_failures.total(), 1);
}

#[test]
fn critical_error_enters_error_naming_the_listener() {
    check_critical(Behavior::Fail, FailureKind::Error("disk full".to_owned()));
}

#[test]
fn critical_panic_enters_error_naming_the_listener() {
    check_critical(Behavior::Panic, FailureKind::Panic("boom".to_owned()));
}

#[test]
fn critical_hang_times_out_into_error_naming_the_listener() {
    check_critical(Behavior::Hang, FailureKind::Timeout(Duration::from_secs(5)));
}

#[tokio::test(start_paused = true)]
async fn listeners_run_concurrently_under_one_timeout() {
    use Criticality::{Critical, NonCritical};
    let (sync, _probes) = setup(&[
        ("a", Critical, Behavior::Hang),
        ("b", NonCritical, Behavior::Hang),
        ("c", Critical, Behavior::Hang),
    ]);
    let start = tokio::time::Instant::now();
    let err = sync.update(0, 1).await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_secs(5), "not 15 s: they ran concurrently");
    let Error::CriticalListenerFailed { failures, .. } = err else {
        panic!("unexpected {err:?}");
    };
    let names: Vec<_> = failures.iter().map(|f| f.listener.as_str()).collect();
    assert_eq!(names, ["a", "c"]);
    assert_eq!(sync.stats().non_critical_failures.timeouts, 1);
}

#[tokio::test(start_paused = true)]
async fn non_critical_failure_degrades_without_stopping_others() {
    use Criticality::{Critical, NonCritical};
    let (sync, probes) = setup(&[
        ("metrics", NonCritical, Behavior::Fail),
        ("store", Critical, Behavior::Succeed),
        ("cache", NonCritical, Behavior::Panic),
    ]);
    let committed = sync.update(0, 7).await.unwrap();
    assert_eq!(committed.version, 1);
    let names: Vec<_> =
        committed.non_critical_failures.iter().map(|f| f.listener.clone()).collect();
    assert_eq!(names, ["metrics", "cache"]);
    for probe in &probes {
        assert_eq!(probe.seen(), [(1, 7)]);
    }
    assert!(matches!(sync.health(), Health::Degraded { failures: 2, .. }));
    // Still degraded while failures continue, and updates are still accepted.
    sync.update(1, 1).await.unwrap();
    assert!(matches!(sync.health(), Health::Degraded { failures: 4, .. }));
    probes[0].set(Behavior::Succeed);
    probes[2].set(Behavior::Succeed);
    assert!(sync.update(2, 1).await.unwrap().non_critical_failures.is_empty());
    assert_eq!(sync.health(), Health::Healthy);
    let stats = sync.stats();
    assert_eq!((stats.non_critical_failures.errors, stats.non_critical_failures.panics), (2, 2));
    assert_eq!(stats.critical_failures.total(), 0);
}

#[tokio::test(start_paused = true)]
async fn stale_version_conflicts_and_overwrites_nothing() {
    let (sync, probes) = setup(&[("store", Criticality::Critical, Behavior::Succeed)]);
    sync.update(0, 5).await.unwrap();
    let conflict = Conflict { expected: 0, current: 1 };
    assert_eq!(sync.update(0, 100).await, Err(Error::Conflict(conflict)));
    assert_eq!(sync.snapshot(), (1, Sum(5)));
    assert_eq!(probes[0].seen(), [(1, 5)], "listeners never hear of a refused update");
    assert_eq!((sync.stats().conflicts, sync.stats().updates), (1, 1));
    assert_eq!(sync.health(), Health::Healthy);
}

#[tokio::test(start_paused = true)]
async fn cancelled_update_is_not_silent() {
    use Criticality::{Critical, NonCritical};
    let (sync, _probes) =
        setup(&[("store", Critical, Behavior::Hang), ("m", NonCritical, Behavior::Succeed)]);
    let outer = tokio::time::timeout(Duration::from_secs(1), sync.update(0, 1)).await;
    assert!(outer.is_err());
    let expected = failures("store", FailureKind::Cancelled);
    assert_eq!(sync.health(), Health::Error { version: 1, failures: expected });
    assert_eq!(sync.stats().critical_failures.cancelled, 1);
    assert!(matches!(sync.update(1, 1).await, Err(Error::InError { .. })));
}

#[tokio::test(start_paused = true)]
async fn catch_up_through_the_synchronizer() {
    let config = SyncConfig::default().history(HistoryConfig::default().max_deltas(2));
    let sync = Synchronizer::new(Sum(0), config).unwrap();
    for (i, delta) in [1, 2, 3].into_iter().enumerate() {
        sync.update(i as Version, delta).await.unwrap();
    }
    assert_eq!(sync.since(3), CatchUp::UpToDate);
    assert_eq!(sync.since(1), CatchUp::Deltas(vec![(2, 2), (3, 3)]));
    let too_old = CatchUp::Snapshot { version: 3, state: Sum(6), reason: SnapshotReason::TooOld };
    assert_eq!(sync.since(0), too_old);
    assert_eq!(sync.read(|state, version| (state.0, version)), (6, 3));
}

#[test]
fn registration_and_config_errors() {
    let zero = SyncConfig::default().listener_timeout(Duration::ZERO);
    assert!(matches!(
        Synchronizer::new(Sum(0), zero),
        Err(Error::InvalidConfig { field: "listener_timeout", .. })
    ));
    let (sync, _) = setup(&[("a", Criticality::Critical, Behavior::Succeed)]);
    let duplicate = sync.register("a", Criticality::NonCritical, Probe::new(Behavior::Succeed));
    assert_eq!(duplicate, Err(Error::DuplicateListener("a".to_owned())));
    assert_eq!(sync.listeners(), [("a".to_owned(), Criticality::Critical)]);
    assert!(sync.unregister("a"));
    assert!(!sync.unregister("a"));
    assert!(sync.listeners().is_empty());
}

#[tokio::test(start_paused = true)]
async fn stats_serialize_for_health_endpoints() {
    let (sync, _) = setup(&[("store", Criticality::Critical, Behavior::Fail)]);
    let _ = sync.update(0, 1).await;
    let stats = serde_json::to_value(sync.stats()).unwrap();
    assert_eq!(stats["updates"], json!(1));
    assert_eq!(stats["critical_failures"]["errors"], json!(1));
    let health = json!({"state": "error", "version": 1, "failures": [
        {"listener": "store", "kind": {"kind": "error", "detail": "disk full"}}
    ]});
    assert_eq!(stats["health"], health);
}

#[tokio::test(start_paused = true)]
async fn closure_listeners_work() {
    let sync = Synchronizer::new(crate::JsonState::empty_object(), SyncConfig::default()).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let listener = crate::listener::from_fn(move |version, patch: serde_json::Value| {
        let record = record.clone();
        async move {
            record.lock().push((version, patch));
            Ok(())
        }
    });
    sync.register("log", Criticality::Critical, listener).unwrap();
    sync.update(0, json!({"a": 1})).await.unwrap();
    assert_eq!(*seen.lock(), [(1, json!({"a": 1}))]);
}
