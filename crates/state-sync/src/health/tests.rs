//! Tests for the health transitions, driven with made-up rounds.

use super::*;

fn ok(name: &str, criticality: Criticality) -> Outcome {
    Outcome { listener: name.to_owned(), criticality, result: Ok(()) }
}

fn failed(name: &str, criticality: Criticality) -> Outcome {
    Outcome { result: Err(FailureKind::Error("no".to_owned())), ..ok(name, criticality) }
}

fn failure(name: &str) -> ListenerFailure {
    ListenerFailure { listener: name.to_owned(), kind: FailureKind::Error("no".to_owned()) }
}

/// Plays `rounds` (version = index + 1) and checks the final health.
#[track_caller]
fn check(rounds: Vec<Vec<Outcome>>, expected: Health) {
    let mut monitor = Monitor::default();
    for (i, outcomes) in rounds.into_iter().enumerate() {
        let _ = monitor.finish_round(i as Version + 1, outcomes);
    }
    assert_eq!(monitor.health(), &expected);
}

#[test]
fn transitions() {
    use Criticality::{Critical as C, NonCritical as N};
    check(vec![], Health::Healthy);
    check(vec![vec![ok("a", C), ok("b", N)]], Health::Healthy);
    let degraded = |failures, names: &[&str]| Health::Degraded {
        failures,
        recent: names.iter().map(|n| failure(n)).collect(),
    };
    check(vec![vec![ok("a", C), failed("b", N)]], degraded(1, &["b"]));
    check(
        vec![vec![failed("b", N)], vec![failed("b", N), failed("c", N)]],
        degraded(3, &["b", "c"]),
    );
    check(vec![vec![failed("b", N)], vec![ok("b", N)]], Health::Healthy);
    let error = |version, names: &[&str]| Health::Error {
        version,
        failures: names.iter().map(|n| failure(n)).collect(),
    };
    check(vec![vec![failed("a", C), failed("b", N), failed("c", C)]], error(1, &["a", "c"]));
    // Error is sticky: a later successful round (only reachable after a cancelled round)
    // does not clear it; only recover() does.
    check(vec![vec![failed("a", C)], vec![ok("a", C)], vec![failed("b", N)]], error(1, &["a"]));
}

#[test]
fn error_refuses_until_recover_and_counts() {
    let mut monitor = Monitor::default();
    let round = vec![failed("a", Criticality::Critical), failed("b", Criticality::NonCritical)];
    let err = monitor.finish_round(4, round).unwrap_err();
    let failures = vec![failure("a")];
    let refused = Error::InError { version: 4, failures: failures.clone() };
    assert_eq!(err, Error::CriticalListenerFailed { version: 4, failures });
    assert_eq!(monitor.admit(), Err(refused.clone()));
    assert_eq!(monitor.admit(), Err(refused));
    assert!(matches!(monitor.recover(), Health::Error { version: 4, .. }));
    assert_eq!(monitor.admit(), Ok(()));
    assert_eq!(monitor.recover(), Health::Healthy);
    let stats = monitor.stats(4);
    assert_eq!((stats.refused, stats.recoveries), (2, 1));
    assert_eq!(stats.critical_failures.errors, 1);
    assert_eq!(stats.non_critical_failures.total(), 1);
}
