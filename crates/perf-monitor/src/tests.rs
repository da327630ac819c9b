use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, UNIX_EPOCH},
};

use proptest::prelude::*;

use super::*;

/// How a scripted check behaves when run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Behaviour {
    Healthy,
    Degraded,
    Unhealthy,
    Error,
    Panic,
    Hang,
}

struct Scripted {
    name: String,
    behaviour: Behaviour,
}

#[async_trait::async_trait]
impl Check for Scripted {
    fn name(&self) -> &str {
        &self.name
    }

    async fn run(&self) -> CheckResult {
        match self.behaviour {
            Behaviour::Healthy => Ok(Status::Healthy),
            Behaviour::Degraded => Ok(Status::degraded("slow")),
            Behaviour::Unhealthy => Ok(Status::unhealthy("down")),
            Behaviour::Error => Err("probe failed".into()),
            Behaviour::Panic => panic!("check {} exploded", self.name),
            Behaviour::Hang => std::future::pending().await,
        }
    }
}

fn scripted(name: impl Into<String>, behaviour: Behaviour) -> Scripted {
    Scripted { name: name.into(), behaviour }
}

fn expected_outcome(behaviour: Behaviour) -> Outcome {
    match behaviour {
        Behaviour::Error => Outcome::Failed,
        Behaviour::Panic => Outcome::Panicked,
        Behaviour::Hang => Outcome::TimedOut,
        _ => Outcome::Completed,
    }
}

fn expected_kind(behaviour: Behaviour) -> StatusKind {
    match behaviour {
        Behaviour::Healthy => StatusKind::Healthy,
        Behaviour::Degraded => StatusKind::Degraded,
        _ => StatusKind::Unhealthy,
    }
}

fn monitor_of(behaviours: &[(Behaviour, bool)]) -> Monitor {
    let mut monitor = Monitor::new();
    for (i, &(behaviour, critical)) in behaviours.iter().enumerate() {
        let options = CheckOptions::default().critical(critical);
        monitor.register_with(scripted(format!("c{i}"), behaviour), options).unwrap();
    }
    monitor
}

#[tokio::test(start_paused = true)]
async fn half_failing_in_every_way_still_reports_every_check() {
    use Behaviour::*;
    let behaviours =
        [Healthy, Error, Healthy, Panic, Healthy, Hang, Healthy, Unhealthy].map(|b| (b, true));
    let report = monitor_of(&behaviours).run().await;

    assert_eq!(report.checks.len(), behaviours.len());
    assert_eq!(report.checks_total, behaviours.len());
    for (i, (entry, (behaviour, _))) in report.checks.iter().zip(behaviours).enumerate() {
        assert_eq!(entry.name, format!("c{i}"));
        assert_eq!(entry.outcome, expected_outcome(behaviour), "{entry:?}");
        assert_eq!(entry.status, expected_kind(behaviour), "{entry:?}");
        assert_eq!(entry.reason.is_some(), behaviour != Healthy, "{entry:?}");
    }
    // Covered: 4 healthy, the error and the unhealthy status; not the panic nor the hang.
    assert_eq!(report.checks_covered, 6);
    assert!((report.coverage - 0.75).abs() < 1e-9);
    assert_eq!(report.status, StatusKind::Unhealthy);
    assert!(report.check("c3").unwrap().reason.as_deref().unwrap().contains("exploded"));
    assert!(report.check("c5").unwrap().reason.as_deref().unwrap().contains("timed out"));
    // Concurrent: the round lasts one timeout (2 s), not the sum of the slow checks.
    assert!((2_000.0..2_100.0).contains(&report.duration_ms), "{}", report.duration_ms);
}

#[tokio::test(start_paused = true)]
async fn per_check_timeout_overrides_the_default_and_the_hung_task_is_dropped() {
    struct Guard(Arc<AtomicUsize>);
    impl Drop for Guard {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let dropped = Arc::new(AtomicUsize::new(0));
    let hang = {
        let dropped = Arc::clone(&dropped);
        check_fn("hang", move || {
            let guard = Guard(Arc::clone(&dropped));
            async move {
                let _guard = guard;
                std::future::pending::<CheckResult>().await
            }
        })
    };
    let mut monitor = Monitor::new();
    let fast = CheckOptions::default().timeout(Duration::from_millis(100));
    monitor.register_with(hang, fast).unwrap();
    let report = monitor.run().await;
    let entry = &report.checks[0];
    assert_eq!(entry.outcome, Outcome::TimedOut);
    assert!((100.0..110.0).contains(&entry.duration_ms), "{entry:?}");
    for _ in 0..10 {
        if dropped.load(Ordering::SeqCst) == 1 {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(dropped.load(Ordering::SeqCst), 1, "the timed-out task was not cancelled");
}

#[track_caller]
fn check(checks: &[(StatusKind, bool)], expected: StatusKind) {
    assert_eq!(overall_status(checks.iter().copied()), expected, "{checks:?}");
}

#[test]
fn overall_status_rule() {
    use StatusKind::*;
    check(&[], Healthy);
    check(&[(Healthy, true), (Healthy, false)], Healthy);
    check(&[(Degraded, true)], Degraded);
    check(&[(Degraded, false)], Degraded);
    check(&[(Unhealthy, false)], Degraded);
    check(&[(Unhealthy, false), (Healthy, true)], Degraded);
    check(&[(Unhealthy, true)], Unhealthy);
    check(&[(Unhealthy, true), (Degraded, false), (Healthy, true)], Unhealthy);
    check(&[(Degraded, true), (Unhealthy, false)], Degraded);
}

#[test]
fn configuration_mistakes_are_rejected() {
    let mut monitor = Monitor::new();
    monitor.register(scripted("a", Behaviour::Healthy)).unwrap();
    let dup = monitor.register(scripted("a", Behaviour::Healthy)).unwrap_err();
    assert_eq!(dup, Error::DuplicateCheck("a".into()));
    let zero = CheckOptions::default().timeout(Duration::ZERO);
    let err = monitor.register_with(scripted("b", Behaviour::Healthy), zero);
    assert_eq!(err.unwrap_err(), Error::ZeroTimeout);
    let config = MonitorConfig::default().default_timeout(Duration::ZERO);
    assert_eq!(Monitor::with_config(config).unwrap_err(), Error::ZeroTimeout);
    assert_eq!(monitor.len(), 1);
    assert!(Thresholds::new(0.9, 0.5).is_err());
    assert!(Thresholds::new(f64::NAN, 0.5).is_err());
    assert!(Thresholds::new(3usize, 3).is_ok());
}

#[tokio::test]
async fn zero_interval_is_rejected() {
    let err = Monitor::new().spawn_periodic(Duration::ZERO).unwrap_err();
    assert_eq!(err, Error::ZeroInterval(Duration::ZERO));
}

#[tokio::test(start_paused = true)]
async fn periodic_runner_publishes_each_round() {
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&runs);
    let mut monitor = Monitor::new();
    let flaky = check_fn("flaky", move || {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        async move { Ok(if n == 0 { Status::Healthy } else { Status::degraded("second round") }) }
    });
    monitor.register(flaky).unwrap();
    let mut periodic = monitor.spawn_periodic(Duration::from_secs(10)).unwrap();

    let pending = periodic.latest();
    assert_eq!(pending.checks[0].outcome, Outcome::Pending);
    assert_eq!(pending.status, StatusKind::Unhealthy);
    assert_eq!(pending.coverage, 0.0);

    let first = periodic.next_report().await.unwrap();
    assert_eq!(first.status, StatusKind::Healthy);
    let started = tokio::time::Instant::now();
    let second = periodic.next_report().await.unwrap();
    assert_eq!(second.status, StatusKind::Degraded);
    assert_eq!(started.elapsed(), Duration::from_secs(10));
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    assert_eq!(periodic.latest(), second);

    let mut subscriber = periodic.subscribe();
    periodic.stop();
    assert!(subscriber.changed().await.is_err(), "the runner kept going after stop");
}

#[track_caller]
fn check_status(status: Status, kind: StatusKind, reason_contains: &str) {
    assert_eq!(status.kind(), kind, "{status:?}");
    assert!(status.reason().unwrap_or("").contains(reason_contains), "{status:?}");
}

#[test]
fn builtin_checks_classify_their_inputs() {
    use StatusKind::*;
    let queue = QueueSaturation::new("outbound", || (0, 10), 0.8, 0.95).unwrap();
    check_status(queue.classify(0, 10), Healthy, "");
    check_status(queue.classify(79, 100), Healthy, "");
    check_status(queue.classify(80, 100), Degraded, "80% (80/100)");
    check_status(queue.classify(95, 100), Unhealthy, "95%");
    check_status(queue.classify(1, 0), Unhealthy, "(1/0)");
    check_status(queue.classify(0, 0), Healthy, "");

    let breakers = OpenBreakers::new(Vec::new).unhealthy_at(2).unwrap();
    check_status(breakers.classify(&[]), Healthy, "");
    check_status(breakers.classify(&["redis".into()]), Degraded, "1 open: redis");
    check_status(breakers.classify(&["a".into(), "b".into()]), Unhealthy, "a, b");
    assert!(OpenBreakers::new(Vec::new).unhealthy_at(0).is_err());
    let never = OpenBreakers::new(Vec::new);
    check_status(never.classify(&["a".into(), "b".into()]), Degraded, "2 open");

    let ghosts = GhostConnections::new(|| 0, Thresholds::new(1, 10).unwrap());
    check_status(ghosts.classify(0), Healthy, "");
    check_status(ghosts.classify(3), Degraded, "3 ghost");
    check_status(ghosts.classify(10), Unhealthy, "10 ghost");

    let lag = SchedulingLag::new();
    check_status(lag.classify(Duration::from_millis(49)), Healthy, "");
    check_status(lag.classify(Duration::from_millis(50)), Degraded, "50ms");
    check_status(lag.classify(Duration::from_millis(250)), Unhealthy, "late");
}

#[tokio::test(start_paused = true)]
async fn builtin_checks_run_in_a_monitor() {
    let mut monitor = Monitor::new();
    monitor
        .register(QueueSaturation::new("queue", || (90, 100), 0.8, 0.95).unwrap())
        .unwrap()
        .register(OpenBreakers::new(|| vec!["db".to_owned()]))
        .unwrap()
        .register(GhostConnections::new(|| 0, Thresholds::new(1, 5).unwrap()))
        .unwrap()
        .register(SchedulingLag::new())
        .unwrap();
    let report = monitor.run().await;
    let kinds: Vec<_> = report.checks.iter().map(|c| (c.name.as_str(), c.status)).collect();
    assert_eq!(
        kinds,
        [
            ("queue", StatusKind::Degraded),
            ("circuit_breakers", StatusKind::Degraded),
            ("ghost_connections", StatusKind::Healthy),
            ("scheduling_lag", StatusKind::Healthy),
        ]
    );
    assert_eq!(report.status, StatusKind::Degraded);
    assert_eq!(report.coverage, 1.0);
}

#[tokio::test(start_paused = true)]
async fn report_serialises_to_the_documented_json_shape() {
    let mut monitor = Monitor::new();
    monitor.register(scripted("db", Behaviour::Hang)).unwrap();
    let json = serde_json::to_value(monitor.run().await).unwrap();
    assert_eq!(json["status"], "unhealthy");
    assert_eq!(json["coverage"], 0.0);
    assert_eq!(json["checks_total"], 1);
    assert_eq!(json["checks_covered"], 0);
    assert!(json["timestamp"].as_str().unwrap().ends_with('Z'));
    let entry = &json["checks"][0];
    assert_eq!(entry["name"], "db");
    assert_eq!(entry["status"], "unhealthy");
    assert_eq!(entry["outcome"], "timed_out");
    assert_eq!(entry["critical"], true);
    assert!(entry["reason"].as_str().unwrap().contains("timed out after 2s"));
    assert!(entry["duration_ms"].as_f64().unwrap() >= 2_000.0);
}

#[test]
fn timestamps_are_rfc3339_utc() {
    let at = |secs: u64, millis: u64| UNIX_EPOCH + Duration::from_millis(secs * 1_000 + millis);
    assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
    assert_eq!(rfc3339(at(951_782_400, 0)), "2000-02-29T00:00:00.000Z");
    assert_eq!(rfc3339(at(1_700_000_000, 5)), "2023-11-14T22:13:20.005Z");
    assert_eq!(rfc3339(at(1_709_251_199, 999)), "2024-02-29T23:59:59.999Z");
    assert_eq!(rfc3339(UNIX_EPOCH - Duration::from_secs(1)), "1970-01-01T00:00:00.000Z");
}

fn behaviour() -> impl Strategy<Value = Behaviour> {
    use Behaviour::*;
    prop::sample::select(vec![Healthy, Degraded, Unhealthy, Error, Panic, Hang])
}

/// The model of the overall rule, written from the documentation rather than the code.
fn model_status(behaviours: &[(Behaviour, bool)]) -> StatusKind {
    let failing = |b: Behaviour| !matches!(b, Behaviour::Healthy | Behaviour::Degraded);
    if behaviours.iter().any(|&(b, critical)| critical && failing(b)) {
        StatusKind::Unhealthy
    } else if behaviours.iter().any(|&(b, _)| b != Behaviour::Healthy) {
        StatusKind::Degraded
    } else {
        StatusKind::Healthy
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn one_entry_per_check_and_the_rule_holds(
        behaviours in prop::collection::vec((behaviour(), any::<bool>()), 0..8)
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        let report = runtime.block_on(monitor_of(&behaviours).run());
        prop_assert_eq!(report.checks.len(), behaviours.len());
        for (i, (entry, &(b, critical))) in report.checks.iter().zip(&behaviours).enumerate() {
            prop_assert_eq!(&entry.name, &format!("c{i}"));
            prop_assert_eq!(entry.outcome, expected_outcome(b));
            prop_assert_eq!(entry.status, expected_kind(b));
            prop_assert_eq!(entry.critical, critical);
        }
        let covered = behaviours.iter().filter(|(b, _)| !matches!(b, Behaviour::Panic | Behaviour::Hang)).count();
        prop_assert_eq!(report.checks_covered, covered);
        prop_assert_eq!(report.status, model_status(&behaviours));
    }
}
