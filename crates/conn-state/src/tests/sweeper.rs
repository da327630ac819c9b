//! Driver tests: the sweeper under paused time, and many tasks sharing one registry.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{oneshot, watch};

use crate::{
    Config, ConnId, ConnState, Error, Event, RemoveReason, SharedRegistry, SweepReport, Sweeper,
    SweeperConfig,
};

fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// Waits (in virtual time, so instantly) until the totals satisfy `done`.
async fn wait_for(reports: &mut watch::Receiver<SweepReport>, done: impl Fn(&SweepReport) -> bool) {
    let hour = Duration::from_secs(3600);
    let wait = reports.wait_for(|report| done(report));
    let waited = tokio::time::timeout(hour, wait).await.is_ok();
    assert!(waited, "sweeper stalled at {:?}", *reports.borrow());
}

/// Opens `n` connections and starts a sweeper over them with `closer`.
fn start<F, Fut>(
    n: u64,
    closer: F,
) -> (
    SharedRegistry,
    watch::Receiver<SweepReport>,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<SweepReport>,
)
where
    F: Fn(ConnId) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), String>> + Send + 'static,
{
    let registry = SharedRegistry::default();
    for id in 0..n {
        registry.open(ConnId(id), now()).expect("open");
    }
    let sweeper = Sweeper::new(registry.clone(), closer, SweeperConfig::default()).expect("config");
    let reports = sweeper.reports();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(sweeper.run(async move { stopped.await.unwrap_or(()) }));
    (registry, reports, stop, task)
}

#[tokio::test(start_paused = true)]
async fn always_failing_closer_ends_with_nothing_tracked() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let closer = move |_id| {
        counter.fetch_add(1, Ordering::Relaxed);
        async { Err::<(), _>("refused".to_string()) }
    };
    let t0 = now();
    let (registry, mut reports, stop, task) = start(50, closer);
    wait_for(&mut reports, |report| report.gave_up == 50).await;
    assert!(registry.is_empty());
    assert_eq!(registry.counts().total(), 0);
    // One close of the idle connection, then three force-closes, one second apart.
    assert_eq!(calls.load(Ordering::Relaxed), 50 * 4);
    assert_eq!(now() - t0, Duration::from_secs(63));
    stop.send(()).expect("sweeper alive");
    let total = task.await.expect("sweeper");
    assert_eq!((total.closed, total.failed, total.gave_up), (0, 150, 50));
    let removed = std::iter::from_fn(|| registry.poll_event())
        .filter(|event| matches!(event, Event::Removed(r) if r.reason == RemoveReason::GaveUp))
        .count();
    assert_eq!(removed, 50);
}

#[tokio::test(start_paused = true)]
async fn hanging_closer_is_timed_out() {
    let closer = |_id| std::future::pending::<Result<(), String>>();
    let t0 = now();
    let (registry, mut reports, stop, task) = start(3, closer);
    wait_for(&mut reports, |report| report.gave_up == 3).await;
    assert!(registry.is_empty());
    // Idle at 60 s, then four closes of 2 s each with 1 s between retries.
    assert_eq!(now() - t0, Duration::from_secs(60 + 2 + 3 * (1 + 2)));
    stop.send(()).expect("sweeper alive");
    let total = task.await.expect("sweeper");
    assert_eq!(total.timed_out, 12);
}

#[tokio::test(start_paused = true)]
async fn stuck_closes_are_force_closed_concurrently_but_bounded() {
    let (running, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (r, p) = (running.clone(), peak.clone());
    let closer = move |_id| {
        let (running, peak) = (r.clone(), p.clone());
        async move {
            let now_running = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now_running, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(100)).await;
            running.fetch_sub(1, Ordering::SeqCst);
            Ok::<(), String>(())
        }
    };
    let registry = SharedRegistry::default();
    let t0 = now();
    for id in 0..20 {
        registry.open(ConnId(id), t0).expect("open");
        registry.begin_close(ConnId(id), t0).expect("close");
    }
    let config = SweeperConfig::default().max_concurrency(4);
    let sweeper = Sweeper::new(registry.clone(), closer, config).expect("config");
    let report = sweeper.sweep_once(t0 + Duration::from_secs(5)).await;
    assert_eq!((report.ghosts, report.closed, report.failed), (20, 20, 0));
    assert_eq!(peak.load(Ordering::SeqCst), 4);
    assert_eq!(now() - t0, Duration::from_millis(500));
    assert!(registry.is_empty());
    assert_eq!(*sweeper.reports().borrow(), report);
}

#[tokio::test(start_paused = true)]
async fn sweeper_wakes_for_an_earlier_deadline() {
    let closer = |_id| async { Ok::<(), String>(()) };
    let (registry, mut reports, stop, task) = start(0, closer);
    // Let the sweeper park with no deadline at all, then give it one.
    tokio::task::yield_now().await;
    let t0 = now();
    registry.open(ConnId(1), t0).expect("open");
    wait_for(&mut reports, |report| report.closed == 1).await;
    assert_eq!(now() - t0, Duration::from_secs(60));
    registry.open(ConnId(2), now()).expect("open");
    registry.begin_close(ConnId(2), now()).expect("close");
    wait_for(&mut reports, |report| report.closed == 2).await;
    assert_eq!(now() - t0, Duration::from_secs(65));
    stop.send(()).expect("sweeper alive");
    assert_eq!(task.await.expect("sweeper").ghosts, 2);
}

#[test]
fn sweeper_config_is_validated() {
    let closer = |_id| async { Ok::<(), String>(()) };
    let zero = SweeperConfig::default().max_concurrency(0);
    let got = Sweeper::new(SharedRegistry::default(), closer, zero).map(drop);
    assert!(matches!(got, Err(Error::InvalidConfig { field: "max_concurrency", .. })));
    let zero = SweeperConfig::default().close_timeout(Duration::ZERO);
    assert!(zero.validate().is_err());
}

/// One task's life of connection `id`, with a racing close of a neighbour's connection.
async fn lifecycle(registry: SharedRegistry, id: u64, neighbour: u64) {
    let id = ConnId(id);
    registry.open(id, Instant::now()).expect("open");
    tokio::task::yield_now().await;
    match registry.touch(id, Instant::now()) {
        Ok(()) | Err(Error::IllegalTransition { .. }) => {}
        Err(other) => panic!("touch: {other}"),
    }
    for target in [ConnId(neighbour), id] {
        match registry.begin_close(target, Instant::now()) {
            Ok(()) | Err(Error::IllegalTransition { .. } | Error::UnknownConnection(_)) => {}
            Err(other) => panic!("begin_close: {other}"),
        }
        tokio::task::yield_now().await;
    }
    if id.0.is_multiple_of(3) {
        assert_eq!(registry.close_failed(id, Instant::now()), Ok(ConnState::Failed));
        tokio::task::yield_now().await;
    }
    registry.close_confirmed(id).expect("confirm");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_tasks_leave_the_registry_consistent_and_empty() {
    const TASKS: u64 = 5_000;
    let config = Config::default().event_capacity(4 * TASKS as usize);
    let registry = SharedRegistry::new(config).expect("config");
    let tasks: Vec<_> = (0..TASKS)
        .map(|id| tokio::spawn(lifecycle(registry.clone(), id, (id + 1) % TASKS)))
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
    registry.with(|inner| inner.assert_consistent());
    assert!(registry.is_empty());
    assert_eq!(registry.counts().total(), 0);
    assert_eq!(registry.poll_timeout(), None);
    let events: Vec<_> = std::iter::from_fn(|| registry.poll_event()).collect();
    let opened = events.iter().filter(|e| matches!(e, Event::Opened(_))).count();
    let closed = events.iter().filter(|e| matches!(e, Event::Removed(_))).count();
    assert_eq!((opened, closed), (TASKS as usize, TASKS as usize));
}
