use std::time::Duration;

use tokio::sync::oneshot;

use super::*;

/// A registry for the default session settings (idle deadline 70 s) with its sweeper running
/// until the returned sender is dropped.
fn registry() -> (Arc<Connections>, oneshot::Sender<()>) {
    let conns = Connections::new(&ws_proto::Config::default()).unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    conns
        .start_sweeper(None, async move {
            let _ = stopped.await;
        })
        .unwrap();
    (conns, stop)
}

fn sweeps(conns: &Connections) -> watch::Receiver<SweepReport> {
    conns.sweeps.lock().clone().unwrap()
}

#[tokio::test(start_paused = true)]
async fn an_untouched_connection_is_force_closed_and_a_touched_one_stays() {
    let (conns, _stop) = registry();
    let (ghost, live) = (conns.open(), conns.open());
    assert_eq!(conns.figures().states.active, 2);
    let ghost_task = tokio::spawn(async move {
        ghost.killed().await;
        drop(ghost);
    });
    for _ in 0..6 {
        tokio::time::advance(Duration::from_secs(30)).await;
        live.touch(now());
    }
    ghost_task.await.unwrap();
    sweeps(&conns).wait_for(|r| r.closed == 1).await.unwrap();
    let figures = conns.figures();
    assert_eq!((figures.states.active, figures.states.total()), (1, 1));
    assert_eq!(figures.sweeps.ghosts, 1);
    drop(live);
    assert_eq!(conns.figures().states.total(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_connection_that_ignores_the_kill_is_retried_then_given_up() {
    let (conns, _stop) = registry();
    let stuck = conns.open();
    sweeps(&conns).wait_for(|r| r.gave_up == 1).await.unwrap();
    let report = conns.figures().sweeps;
    // The idle hand-out and three force-close retries, each timing out.
    assert_eq!((report.timed_out, report.closed), (4, 0));
    assert_eq!(conns.figures().states.total(), 0);
    assert!(stuck.kill.killed.load(Ordering::Acquire));
    drop(stuck);
    assert_eq!(conns.figures().states.total(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_connection_that_ends_by_itself_is_closing_then_removed() {
    let (conns, _stop) = registry();
    let tracked = conns.open();
    tracked.closing();
    assert_eq!(conns.figures().states.closing, 1);
    drop(tracked);
    assert_eq!(conns.figures().states.total(), 0);
    assert_eq!(conns.figures().sweeps, SweepReport::default());
}

#[test]
fn without_heartbeat_nothing_is_ever_idle() {
    let conns = Connections::new(&ws_proto::Config::default().without_heartbeat()).unwrap();
    let tracked = conns.open();
    let deadline = conns.registry.poll_timeout().unwrap();
    assert!(deadline >= now() + conn_state::MAX_TIMEOUT - Duration::from_secs(1));
    drop(tracked);
}
