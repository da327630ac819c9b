//! Unit tests: the transition table, ghost detection, events and configuration.

use std::time::{Duration, Instant};

use super::*;

mod model;
#[cfg(feature = "driver")]
mod sweeper;

const ID: ConnId = ConnId(7);

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// An operation in the transition table, including `open`.
#[derive(Clone, Copy, Debug)]
enum Step {
    Open,
    Touch,
    BeginClose,
    Confirm,
    Fail,
}

fn apply(registry: &mut Registry, step: Step, id: ConnId, now: Instant) -> Result<()> {
    match step {
        Step::Open => registry.open(id, now),
        Step::Touch => registry.touch(id, now),
        Step::BeginClose => registry.begin_close(id, now),
        Step::Confirm => registry.close_confirmed(id).map(drop),
        Step::Fail => registry.close_failed(id, now).map(drop),
    }
}

/// A registry holding `ID` in `from` (`None`: never opened; `Closed`: opened then removed).
fn registry_in(from: Option<ConnState>) -> (Registry, Instant) {
    let mut registry = Registry::default();
    let t0 = Instant::now();
    let steps: &[Step] = match from {
        None => &[],
        Some(ConnState::Active) => &[Step::Open],
        Some(ConnState::Closing) => &[Step::Open, Step::BeginClose],
        Some(ConnState::Failed) => &[Step::Open, Step::BeginClose, Step::Fail],
        Some(_) => &[Step::Open, Step::BeginClose, Step::Confirm],
    };
    for step in steps {
        apply(&mut registry, *step, ID, t0).expect("setup step");
    }
    (registry, t0)
}

#[track_caller]
fn check(from: Option<ConnState>, step: Step, expected: Result<Option<ConnState>>) {
    let (mut registry, t0) = registry_in(from);
    let before = registry.state(ID);
    let got = apply(&mut registry, step, ID, t0 + secs(1));
    match expected {
        Ok(state) => {
            assert_eq!(got, Ok(()), "{from:?} {step:?}");
            assert_eq!(registry.state(ID), state, "{from:?} {step:?}");
        }
        Err(error) => {
            assert_eq!(got, Err(error), "{from:?} {step:?}");
            assert_eq!(registry.state(ID), before, "refusal changed the state");
        }
    }
    registry.assert_consistent();
    assert_eq!(registry.counts().total(), registry.len());
}

fn illegal(from: ConnState, to: ConnState) -> Result<Option<ConnState>> {
    Err(Error::IllegalTransition { id: ID, from, to })
}

#[test]
fn transition_table() {
    use ConnState::{Active, Closed, Closing, Failed};
    let unknown = || Err(Error::UnknownConnection(ID));
    let duplicate = || Err(Error::DuplicateConnection(ID));
    for from in [None, Some(Closed)] {
        check(from, Step::Open, Ok(Some(Active)));
        check(from, Step::Touch, unknown());
        check(from, Step::BeginClose, unknown());
        check(from, Step::Confirm, unknown());
        check(from, Step::Fail, unknown());
    }
    check(Some(Active), Step::Open, duplicate());
    check(Some(Active), Step::Touch, Ok(Some(Active)));
    check(Some(Active), Step::BeginClose, Ok(Some(Closing)));
    check(Some(Active), Step::Confirm, illegal(Active, Closed));
    check(Some(Active), Step::Fail, illegal(Active, Failed));
    for from in [Closing, Failed] {
        check(Some(from), Step::Open, duplicate());
        check(Some(from), Step::Touch, illegal(from, Active));
        check(Some(from), Step::BeginClose, illegal(from, Closing));
        check(Some(from), Step::Confirm, Ok(None));
        check(Some(from), Step::Fail, Ok(Some(Failed)));
    }
}

#[test]
fn closed_is_terminal_in_the_table() {
    for op in [Op::Touch, Op::BeginClose, Op::CloseConfirmed, Op::CloseFailed] {
        assert_eq!(ConnState::Closed.apply(op), None);
    }
    assert!(ConnState::Closed.is_terminal());
    assert!(!ConnState::Failed.is_terminal());
}

#[test]
fn touch_postpones_idleness_lazily() {
    let mut registry = Registry::default();
    let t0 = Instant::now();
    registry.open(ID, t0).expect("open");
    assert_eq!(registry.poll_timeout(), Some(t0 + secs(60)));
    registry.touch(ID, t0 + secs(30)).expect("touch");
    // The index still holds the old deadline; reaching it re-indexes instead of reporting.
    assert!(registry.ghosts(t0 + secs(60)).is_empty());
    assert!(registry.poll_ghosts(t0 + secs(60)).is_empty());
    assert_eq!(registry.poll_timeout(), Some(t0 + secs(90)));
    let ghost = Ghost { id: ID, reason: GhostReason::Idle, state: ConnState::Active };
    assert_eq!(registry.ghosts(t0 + secs(90)), vec![ghost]);
    assert_eq!(registry.state(ID), Some(ConnState::Active), "peeking acted");
    assert_eq!(registry.poll_ghosts(t0 + secs(90)), vec![ghost]);
    assert_eq!(registry.state(ID), Some(ConnState::Closing));
    assert_eq!(registry.poll_timeout(), Some(t0 + secs(95)));
    registry.assert_consistent();
}

#[test]
fn stuck_close_becomes_failed_then_force_closed() {
    let mut registry = Registry::default();
    let t0 = Instant::now();
    registry.open(ID, t0).expect("open");
    registry.begin_close(ID, t0).expect("close");
    assert!(registry.poll_ghosts(t0 + secs(5) - Duration::from_millis(1)).is_empty());
    let ghosts = registry.poll_ghosts(t0 + secs(5));
    assert_eq!(ghosts.len(), 1);
    assert_eq!(
        (ghosts[0].reason, ghosts[0].state),
        (GhostReason::CloseTimedOut, ConnState::Closing)
    );
    assert!(ghosts[0].needs_close());
    assert_eq!(registry.state(ID), Some(ConnState::Failed));
    let counts = Counts { active: 0, closing: 0, failed: 1 };
    assert_eq!(registry.counts(), counts);
    let removed = registry.close_confirmed(ID).expect("confirm");
    assert_eq!(removed.reason, RemoveReason::Closed);
    assert_eq!((removed.from, removed.force_close_attempts), (ConnState::Failed, 1));
    assert_eq!(removed.opened_at, t0);
    assert!(registry.is_empty());
    assert_eq!(registry.poll_timeout(), None);
}

#[track_caller]
fn check_sweep(registry: &mut Registry, now: Instant, expected: Option<GhostReason>) {
    let reasons: Vec<_> = registry.poll_ghosts(now).iter().map(|g| g.reason).collect();
    assert_eq!(reasons, Vec::from_iter(expected));
    registry.assert_consistent();
}

#[test]
fn failed_closes_give_up_after_the_budget() {
    let mut registry = Registry::default();
    let t0 = Instant::now();
    registry.open(ID, t0).expect("open");
    registry.begin_close(ID, t0).expect("close");
    let mut now = t0 + secs(5);
    check_sweep(&mut registry, now, Some(GhostReason::CloseTimedOut));
    for attempt in 1..=2 {
        assert_eq!(registry.close_failed(ID, now), Ok(ConnState::Failed), "{attempt}");
        check_sweep(&mut registry, now + Duration::from_millis(999), None);
        now += secs(1);
        check_sweep(&mut registry, now, Some(GhostReason::ForceCloseDue));
    }
    assert_eq!(registry.close_failed(ID, now), Ok(ConnState::Closed));
    assert!(registry.is_empty());
    let events: Vec<_> = std::iter::from_fn(|| registry.poll_event()).collect();
    let Some(Event::Removed(removed)) = events.last() else {
        panic!("no removal reported: {events:?}");
    };
    assert_eq!((removed.reason, removed.force_close_attempts), (RemoveReason::GaveUp, 3));
}

#[test]
fn unanswered_force_closes_are_given_up_by_the_scan() {
    let config = Config::default().max_force_close_attempts(2);
    let mut registry = Registry::new(config).expect("config");
    let t0 = Instant::now();
    registry.open(ID, t0).expect("open");
    // Nobody ever reports an outcome: each hand-out waits close_timeout (5 s) then re-fires.
    check_sweep(&mut registry, t0 + secs(60), Some(GhostReason::Idle));
    check_sweep(&mut registry, t0 + secs(65), Some(GhostReason::CloseTimedOut));
    check_sweep(&mut registry, t0 + secs(70), Some(GhostReason::ForceCloseDue));
    let ghosts = registry.poll_ghosts(t0 + secs(75));
    assert_eq!(ghosts.len(), 1);
    assert!(!ghosts[0].needs_close());
    assert_eq!(registry.len(), 0);
    assert_eq!(registry.poll_timeout(), None);
}

#[test]
fn events_are_ordered_and_bounded() {
    let mut registry = Registry::new(Config::default().event_capacity(2)).expect("config");
    let t0 = Instant::now();
    for id in 1..=3 {
        registry.open(ConnId(id), t0).expect("open");
    }
    assert_eq!(registry.dropped_events(), 1);
    assert_eq!(registry.poll_event(), Some(Event::Opened(ConnId(2))));
    assert_eq!(registry.poll_event(), Some(Event::Opened(ConnId(3))));
    assert_eq!(registry.poll_event(), None);
    registry.begin_close(ConnId(1), t0).expect("close");
    registry.close_failed(ConnId(1), t0).expect("fail");
    let failed = Event::Failed { id: ConnId(1), attempts: 0 };
    assert_eq!(registry.poll_event(), Some(failed));
    let mut silent = Registry::new(Config::default().event_capacity(0)).expect("config");
    silent.open(ID, t0).expect("open");
    assert_eq!((silent.poll_event(), silent.dropped_events()), (None, 1));
}

#[test]
fn config_is_validated() {
    let bad = [
        (Config::default().idle_timeout(Duration::ZERO), "idle_timeout"),
        (Config::default().close_timeout(MAX_TIMEOUT + secs(1)), "close_timeout"),
        (Config::default().force_close_after(Duration::ZERO), "force_close_after"),
        (Config::default().max_force_close_attempts(0), "max_force_close_attempts"),
    ];
    for (config, field) in bad {
        match Registry::new(config) {
            Err(Error::InvalidConfig { field: got, .. }) => assert_eq!(got, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    assert!(Config::default().event_capacity(0).validate().is_ok());
    let error =
        Error::IllegalTransition { id: ID, from: ConnState::Closing, to: ConnState::Closing };
    assert_eq!(error.to_string(), "connection conn#7: illegal transition closing -> closing");
}

#[test]
fn shared_registry_applies_the_same_rules() {
    let shared = SharedRegistry::default();
    let t0 = Instant::now();
    shared.open(ID, t0).expect("open");
    assert_eq!(shared.open(ID, t0), Err(Error::DuplicateConnection(ID)));
    shared.touch(ID, t0).expect("touch");
    shared.begin_close(ID, t0).expect("close");
    assert_eq!(shared.counts().closing, 1);
    assert_eq!(shared.ghosts(t0 + secs(5)).len(), 1);
    assert_eq!(shared.poll_ghosts(t0 + secs(5)).len(), 1);
    assert_eq!(shared.state(ID), Some(ConnState::Failed));
    assert_eq!(shared.poll_timeout(), Some(t0 + secs(10)));
    assert_eq!(shared.close_failed(ID, t0 + secs(6)), Ok(ConnState::Failed));
    shared.close_confirmed(ID).expect("confirm");
    assert!(shared.is_empty());
    assert_eq!(shared.len(), 0);
    assert_eq!(shared.poll_event(), Some(Event::Opened(ID)));
    shared.with(|registry| registry.assert_consistent());
}
