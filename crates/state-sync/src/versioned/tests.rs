//! Tests for the pure versioned core: optimistic concurrency and catch-up against a model.

use proptest::prelude::*;

use super::*;

/// An order-sensitive state: a log of pushed numbers, so a missing, duplicated or reordered
/// delta shows.
#[derive(Clone, Debug, Default, PartialEq)]
struct Log(Vec<u32>);

impl Apply for Log {
    type Delta = u32;

    fn apply(&mut self, delta: &u32) {
        self.0.push(*delta);
    }

    /// Varying sizes so that the byte bound bites at different points.
    fn delta_size(delta: &u32) -> usize {
        *delta as usize % 5 + 1
    }
}

fn log_at(updates: u32, history: HistoryConfig) -> Versioned<Log> {
    let mut versioned = Versioned::new(Log::default(), history);
    for i in 0..updates {
        versioned.update(Version::from(i), i).unwrap();
    }
    versioned
}

#[track_caller]
fn check(versioned: &Versioned<Log>, client: Version, expected: &CatchUp<Log>) {
    assert_eq!(&versioned.since(client), expected);
}

#[test]
fn update_at_expected_version_increments() {
    let mut versioned = Versioned::new(Log::default(), HistoryConfig::default());
    assert_eq!(versioned.update(0, 7), Ok(1));
    assert_eq!(versioned.update(1, 8), Ok(2));
    assert_eq!(versioned.state(), &Log(vec![7, 8]));
    assert_eq!(versioned.version(), 2);
}

#[test]
fn stale_or_future_version_conflicts_and_changes_nothing() {
    let mut versioned = log_at(3, HistoryConfig::default());
    let before = versioned.clone();
    for expected in [0, 2, 4, Version::MAX] {
        let conflict = Conflict { expected, current: 3 };
        assert_eq!(versioned.update(expected, 99), Err(conflict));
    }
    assert_eq!(versioned.state(), before.state());
    assert_eq!(versioned.version(), 3);
    assert_eq!(versioned.since(0), before.since(0));
}

#[test]
fn since_classifies_every_client_position() {
    let versioned = log_at(5, HistoryConfig::default().max_deltas(2));
    let snapshot =
        |reason| CatchUp::Snapshot { version: 5, state: Log(vec![0, 1, 2, 3, 4]), reason };
    check(&versioned, 5, &CatchUp::UpToDate);
    check(&versioned, 4, &CatchUp::Deltas(vec![(5, 4)]));
    check(&versioned, 3, &CatchUp::Deltas(vec![(4, 3), (5, 4)]));
    check(&versioned, 2, &snapshot(SnapshotReason::TooOld));
    check(&versioned, 0, &snapshot(SnapshotReason::TooOld));
    check(&versioned, 6, &snapshot(SnapshotReason::Ahead));
    assert_eq!(versioned.oldest_catch_up(), Some(3));
}

#[test]
fn restored_state_without_history_answers_with_snapshots() {
    let versioned = Versioned::at(Log(vec![1]), 10, HistoryConfig::default());
    check(&versioned, 10, &CatchUp::UpToDate);
    let snapshot =
        CatchUp::Snapshot { version: 10, state: Log(vec![1]), reason: SnapshotReason::TooOld };
    check(&versioned, 9, &snapshot);
    assert_eq!(versioned.oldest_catch_up(), None);
}

#[test]
fn apply_to_rejects_gaps_without_applying() {
    let deltas = CatchUp::<Log>::Deltas(vec![(3, 30), (4, 40)]);
    let (mut state, mut version) = (Log(vec![1]), 1);
    let gap = Error::Gap { local: 1, first: 3 };
    assert_eq!(deltas.clone().apply_to(&mut state, &mut version), Err(gap));
    assert_eq!((state.clone(), version), (Log(vec![1]), 1));
    let skipping = CatchUp::<Log>::Deltas(vec![(2, 20), (4, 40)]);
    let gap = Error::Gap { local: 1, first: 4 };
    assert_eq!(skipping.apply_to(&mut state, &mut version), Err(gap));
    version = 2;
    deltas.apply_to(&mut state, &mut version).unwrap();
    assert_eq!((state, version), (Log(vec![1, 30, 40]), 4));
}

/// One step of a random run: write against the current version or a stale/future one.
#[derive(Clone, Debug)]
enum Step {
    Fresh(u32),
    Offset(i8, u32),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => any::<u32>().prop_map(Step::Fresh),
        1 => (any::<i8>(), any::<u32>()).prop_map(|(o, d)| Step::Offset(o, d)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// For every client version, applying `since(v)` to the model state at `v` yields the
    /// current state and version; stale writes conflict and change nothing.
    #[test]
    fn catch_up_from_any_version_reaches_current(
        steps in prop::collection::vec(step(), 0..40),
        max_deltas in 0usize..8,
        max_bytes in 0usize..20,
    ) {
        let config = HistoryConfig::default().max_deltas(max_deltas).max_bytes(max_bytes);
        let mut versioned = Versioned::new(Log::default(), config);
        let mut model = vec![Log::default()];
        for step in steps {
            let current = versioned.version();
            let (expected, delta) = match step {
                Step::Fresh(d) => (current, d),
                Step::Offset(o, d) => (current.saturating_add_signed(i64::from(o)), d),
            };
            let result = versioned.update(expected, delta);
            if expected == current {
                prop_assert_eq!(result, Ok(current + 1));
                let mut next = model[model.len() - 1].clone();
                next.apply(&delta);
                model.push(next);
            } else {
                prop_assert_eq!(result, Err(Conflict { expected, current }));
            }
            prop_assert_eq!(versioned.state(), &model[model.len() - 1]);
            check_catch_up(&versioned, &model)?;
        }
    }
}

fn check_catch_up(versioned: &Versioned<Log>, model: &[Log]) -> Result<(), TestCaseError> {
    let current = versioned.version();
    for client in 0..=current + 2 {
        let mut state = model.get(client as usize).cloned().unwrap_or(Log(vec![u32::MAX]));
        let mut version = client;
        let catch_up = versioned.since(client);
        let deltas_expected =
            versioned.oldest_catch_up().is_some_and(|o| o <= client) && client < current;
        prop_assert_eq!(matches!(catch_up, CatchUp::Deltas(_)), deltas_expected);
        if let CatchUp::Snapshot { reason, .. } = &catch_up {
            let ahead = client > current;
            prop_assert_eq!(*reason == SnapshotReason::Ahead, ahead);
        }
        catch_up.apply_to(&mut state, &mut version).unwrap();
        prop_assert_eq!((&state, version), (versioned.state(), current));
    }
    Ok(())
}
