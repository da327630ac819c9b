//! Window tests: bucket sliding, clearing and running totals.

use std::time::{Duration, Instant};

use super::Window;

/// Records `(at_ms, failed)` calls on a 4 x 1 s window and checks the totals after the last.
#[track_caller]
fn check(calls: &[(u64, bool)], expected_calls: u64, expected_failures: u64) {
    let t0 = Instant::now();
    let mut window = Window::new(Duration::from_secs(1), 4);
    for &(at_ms, failed) in calls {
        window.record(t0 + Duration::from_millis(at_ms), failed);
    }
    assert_eq!(window.calls(), expected_calls, "calls for {calls:?}");
    assert_eq!(window.failures(), expected_failures, "failures for {calls:?}");
}

#[test]
fn totals_slide_bucket_by_bucket() {
    check(&[(0, true)], 1, 1);
    check(&[(0, true), (999, false)], 2, 1);
    // The first bucket is still inside at 3.999 s and gone at 4 s.
    check(&[(0, true), (3_999, false)], 2, 1);
    check(&[(0, true), (4_000, false)], 1, 0);
    check(&[(0, true), (1_000, true), (4_500, false)], 2, 1);
    // A jump longer than the whole window clears everything.
    check(&[(0, true), (500, true), (60_000, false)], 1, 0);
    check(&[(0, true), (1_000_000_000_000, false)], 1, 0);
}

#[test]
fn backwards_time_counts_in_the_newest_bucket() {
    // The origin is the first call; the second is earlier and lands in bucket 0.
    check(&[(5_000, true), (0, true)], 2, 2);
    check(&[(0, false), (3_000, true), (1_000, true), (4_000, false)], 3, 2);
}

#[test]
fn clear_keeps_alignment() {
    let t0 = Instant::now();
    let mut window = Window::new(Duration::from_secs(1), 4);
    window.record(t0 + Duration::from_millis(2_500), true);
    window.clear();
    assert_eq!((window.calls(), window.failures()), (0, 0));
    window.record(t0 + Duration::from_millis(2_900), true);
    window.record(t0 + Duration::from_millis(5_100), false);
    assert_eq!((window.calls(), window.failures()), (2, 1));
    // Buckets start at the first call (2.5 s), so bucket 0 ends at 6.5 s.
    window.record(t0 + Duration::from_millis(6_499), false);
    assert_eq!((window.calls(), window.failures()), (3, 1));
    window.record(t0 + Duration::from_millis(6_500), false);
    assert_eq!((window.calls(), window.failures()), (3, 0));
}
