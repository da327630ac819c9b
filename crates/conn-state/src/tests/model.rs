//! Proptest: random operation sequences against a plain `HashMap` model.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use proptest::prelude::*;

use crate::{Config, ConnId, ConnState, Error, Ghost, GhostReason, Registry};

const IDLE: Duration = Duration::from_secs(5);
const CLOSE: Duration = Duration::from_secs(2);
const FORCE: Duration = Duration::from_secs(1);
const MAX_ATTEMPTS: u32 = 2;

#[derive(Clone, Copy, Debug)]
enum Action {
    Open(u64),
    Touch(u64),
    BeginClose(u64),
    Confirm(u64),
    Fail(u64),
    Advance(u64),
    Poll,
}

/// The model's view of one connection: its state, and the instant its timer means something.
#[derive(Clone, Copy, Debug)]
struct Conn {
    state: ConnState,
    /// Last activity when `Active`, otherwise the deadline.
    at: Instant,
    attempts: u32,
}

#[derive(Default)]
struct Model {
    conns: HashMap<u64, Conn>,
}

impl Model {
    fn op(&mut self, id: u64, from: &[ConnState], to: ConnState) -> Result<Conn, Error> {
        let conn = self.conns.get(&id).ok_or(Error::UnknownConnection(ConnId(id)))?;
        if !from.contains(&conn.state) {
            let (id, from) = (ConnId(id), conn.state);
            return Err(Error::IllegalTransition { id, from, to });
        }
        Ok(*conn)
    }

    fn step(&mut self, action: Action, now: Instant) -> Result<(), Error> {
        use ConnState::{Active, Closing, Failed};
        let set = |state, at, attempts| Conn { state, at, attempts };
        match action {
            Action::Open(id) if self.conns.contains_key(&id) => {
                return Err(Error::DuplicateConnection(ConnId(id)));
            }
            Action::Open(id) => drop(self.conns.insert(id, set(Active, now, 0))),
            Action::Touch(id) => drop(self.op(id, &[Active], Active)?),
            Action::BeginClose(id) => {
                let conn = self.op(id, &[Active], Closing)?;
                self.conns.insert(id, set(Closing, now + CLOSE, conn.attempts));
            }
            Action::Confirm(id) => {
                self.op(id, &[Closing, Failed], ConnState::Closed)?;
                self.conns.remove(&id);
            }
            Action::Fail(id) => {
                let conn = self.op(id, &[Closing, Failed], Failed)?;
                if conn.attempts >= MAX_ATTEMPTS {
                    self.conns.remove(&id);
                } else {
                    self.conns.insert(id, set(Failed, now + FORCE, conn.attempts));
                }
            }
            Action::Advance(_) | Action::Poll => {}
        }
        if let Action::Touch(id) = action {
            self.conns.entry(id).and_modify(|conn| conn.at = now);
        }
        Ok(())
    }

    /// The ghosts at `now`, sorted by id, applied to the model.
    fn poll(&mut self, now: Instant) -> Vec<Ghost> {
        let mut ghosts = Vec::new();
        for (&id, conn) in &mut self.conns {
            let reason = match conn.state {
                ConnState::Active if conn.at + IDLE <= now => GhostReason::Idle,
                ConnState::Closing if conn.at <= now => GhostReason::CloseTimedOut,
                ConnState::Failed if conn.at <= now && conn.attempts >= MAX_ATTEMPTS => {
                    GhostReason::GaveUp
                }
                ConnState::Failed if conn.at <= now => GhostReason::ForceCloseDue,
                _ => continue,
            };
            ghosts.push(Ghost { id: ConnId(id), reason, state: conn.state });
            conn.at = now + CLOSE;
            if conn.state == ConnState::Active {
                conn.state = ConnState::Closing;
            } else {
                conn.state = ConnState::Failed;
                conn.attempts += 1;
            }
        }
        self.conns.retain(|_, conn| conn.attempts <= MAX_ATTEMPTS);
        ghosts.sort_by_key(|ghost| ghost.id);
        ghosts
    }
}

fn action() -> impl Strategy<Value = Action> {
    let id = 0..4u64;
    prop_oneof![
        3 => id.clone().prop_map(Action::Open),
        2 => id.clone().prop_map(Action::Touch),
        2 => id.clone().prop_map(Action::BeginClose),
        2 => id.clone().prop_map(Action::Confirm),
        2 => id.prop_map(Action::Fail),
        3 => (0..3_000u64).prop_map(Action::Advance),
        2 => Just(Action::Poll),
    ]
}

fn check_agrees(registry: &Registry, model: &Model) {
    registry.assert_consistent();
    for id in 0..4 {
        let expected = model.conns.get(&id).map(|conn| conn.state);
        assert_eq!(registry.state(ConnId(id)), expected, "state of {id}");
    }
    let counts = registry.counts();
    let of = |state| model.conns.values().filter(|c| c.state == state).count();
    assert_eq!(counts.active, of(ConnState::Active));
    assert_eq!(counts.closing, of(ConnState::Closing));
    assert_eq!(counts.failed, of(ConnState::Failed));
    assert_eq!(registry.len(), model.conns.len());
    assert_eq!(registry.poll_timeout().is_some(), !model.conns.is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn registry_matches_model(actions in prop::collection::vec(action(), 1..80)) {
        let config = Config::default()
            .idle_timeout(IDLE)
            .close_timeout(CLOSE)
            .force_close_after(FORCE)
            .max_force_close_attempts(MAX_ATTEMPTS);
        let mut registry = Registry::new(config).expect("config");
        let mut model = Model::default();
        let mut now = Instant::now();
        for action in actions {
            match action {
                Action::Advance(ms) => now += Duration::from_millis(ms),
                Action::Poll => {
                    let mut got = registry.poll_ghosts(now);
                    got.sort_by_key(|ghost| ghost.id);
                    prop_assert_eq!(got, model.poll(now));
                }
                _ => {
                    let got = apply(&mut registry, action, now);
                    prop_assert_eq!(got, model.step(action, now), "{:?}", action);
                }
            }
            check_agrees(&registry, &model);
        }
    }
}

fn apply(registry: &mut Registry, action: Action, now: Instant) -> Result<(), Error> {
    match action {
        Action::Open(id) => registry.open(ConnId(id), now),
        Action::Touch(id) => registry.touch(ConnId(id), now),
        Action::BeginClose(id) => registry.begin_close(ConnId(id), now),
        Action::Confirm(id) => registry.close_confirmed(ConnId(id)).map(drop),
        Action::Fail(id) => registry.close_failed(ConnId(id), now).map(drop),
        Action::Advance(_) | Action::Poll => Ok(()),
    }
}
