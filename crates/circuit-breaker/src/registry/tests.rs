//! Registry tests: creation, lookup, snapshots and the open count.

use std::time::{Duration, Instant};

use super::Registry;
use crate::{Config, Outcome, StateKind};

#[track_caller]
fn check(registry: &Registry, now: Instant, expected: &[(&str, StateKind, Option<u64>)]) {
    let got: Vec<_> = (registry.snapshot(now).into_iter())
        .map(|s| (s.name, s.state, s.open_remaining_ms))
        .collect();
    let expected: Vec<_> =
        (expected.iter()).map(|&(name, state, ms)| (name.to_owned(), state, ms)).collect();
    assert_eq!(got, expected);
}

#[test]
fn snapshot_is_sorted_and_counts_open_breakers() {
    let registry = Registry::new();
    assert!(registry.is_empty());
    let t0 = Instant::now();
    let config = Config::default().failure_threshold(1);
    let zeta = registry.get_or_create("zeta", config).unwrap();
    registry.get_or_create("alpha", config).unwrap();
    let again = registry.get_or_create("zeta", Config::default()).unwrap();
    assert_eq!(again.with(|b| b.config().failure_threshold), 1, "existing config kept");
    assert_eq!(registry.len(), 2);
    assert_eq!(registry.open_count(), 0);
    check(&registry, t0, &[("alpha", StateKind::Closed, None), ("zeta", StateKind::Closed, None)]);

    zeta.acquire(t0).unwrap().record(Outcome::Failure, t0);
    let until = zeta.poll_timeout().unwrap();
    let remaining = (until - t0 - Duration::from_secs(1)).as_millis() as u64;
    let later = t0 + Duration::from_secs(1);
    check(
        &registry,
        later,
        &[("alpha", StateKind::Closed, None), ("zeta", StateKind::Open, Some(remaining))],
    );
    check(
        &registry,
        until + Duration::from_secs(9),
        &[("alpha", StateKind::Closed, None), ("zeta", StateKind::Open, Some(0))],
    );
    assert_eq!(registry.open_count(), 1);
    assert!(registry.get("zeta").is_some() && registry.get("nope").is_none());
    assert!(registry.remove("zeta").is_some());
    assert_eq!(registry.open_count(), 0);
}

#[test]
fn snapshot_serializes_and_seeds_differ_by_name() {
    let registry = Registry::new();
    let t0 = Instant::now();
    let config = Config::default().failure_threshold(1);
    let mut untils = Vec::new();
    for name in ["a", "b", "c", "d"] {
        let breaker = registry.get_or_create(name, config).unwrap();
        breaker.acquire(t0).unwrap().record(Outcome::Failure, t0);
        untils.push(breaker.poll_timeout().unwrap());
    }
    untils.dedup();
    assert!(untils.len() > 1, "jitter in lockstep: {untils:?}");
    let json = serde_json::to_value(registry.snapshot(t0)).unwrap();
    assert_eq!(json[0]["name"], "a");
    assert_eq!(json[0]["state"], "open");
    assert_eq!(json[0]["stats"]["trips"], 1);
    assert_eq!(json[0]["stats"]["state"], "open");
    assert!(registry.get_or_create("bad", config.minimum_calls(0)).is_err());
}
