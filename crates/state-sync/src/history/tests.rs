//! Tests for the bounded history.

use super::*;

#[track_caller]
fn check(config: HistoryConfig, sizes: &[usize], after: Version, expected: Option<&[Version]>) {
    let mut history = History::new(config);
    for (i, size) in sizes.iter().enumerate() {
        history.push(i as Version + 1, i as u32, *size);
    }
    let got = history.after(after).map(|d| d.iter().map(|(v, _)| *v).collect::<Vec<_>>());
    assert_eq!(got.as_deref(), expected);
    assert!(history.len() <= config.max_deltas);
    assert!(history.bytes() <= config.max_bytes);
}

#[test]
fn after_returns_consecutive_deltas_or_none() {
    let roomy = HistoryConfig::default();
    check(roomy, &[1, 1, 1], 0, Some(&[1, 2, 3]));
    check(roomy, &[1, 1, 1], 2, Some(&[3]));
    // Nothing after the newest: the caller answers UpToDate before asking.
    check(roomy, &[1, 1, 1], 3, None);
    check(roomy, &[], 0, None);
    check(roomy, &[1], Version::MAX, None);
}

#[test]
fn count_bound_evicts_oldest() {
    let two = HistoryConfig::default().max_deltas(2);
    check(two, &[1, 1, 1, 1], 2, Some(&[3, 4]));
    check(two, &[1, 1, 1, 1], 1, None);
    check(HistoryConfig::default().max_deltas(0), &[1, 1], 1, None);
}

#[test]
fn byte_bound_evicts_oldest_and_drops_oversized_deltas() {
    let ten = HistoryConfig::default().max_bytes(10);
    check(ten, &[4, 4, 4], 1, Some(&[2, 3]));
    check(ten, &[4, 4, 4], 0, None);
    // A delta larger than the whole budget cannot be retained at all.
    check(ten, &[4, 11], 1, None);
    check(ten, &[4, 11, 3], 2, Some(&[3]));
}

#[test]
fn bytes_are_tracked_through_eviction() {
    let mut history = History::new(HistoryConfig::default().max_deltas(2));
    for (version, size) in [(1, 5), (2, 7), (3, 11)] {
        history.push(version, (), size);
    }
    assert_eq!(history.bytes(), 18);
    assert_eq!((history.oldest(), history.newest()), (Some(2), Some(3)));
}
