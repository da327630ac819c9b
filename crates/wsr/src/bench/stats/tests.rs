//! Tests of the statistics helpers.

use super::*;

#[track_caller]
fn check_median(values: &[f64], expected: Option<f64>) {
    assert_eq!(median(values), expected, "median of {values:?}");
}

#[test]
fn median_of_odd_even_empty_and_non_finite() {
    check_median(&[], None);
    check_median(&[3.0], Some(3.0));
    check_median(&[5.0, 1.0, 3.0], Some(3.0));
    check_median(&[4.0, 1.0, 3.0, 2.0], Some(2.5));
    check_median(&[f64::NAN, 2.0, f64::INFINITY], Some(2.0));
}

#[track_caller]
fn check_percentile(values: &[f64], p: f64, expected: Option<f64>) {
    assert_eq!(percentile(values, p), expected, "p{p} of {values:?}");
}

#[test]
fn percentile_is_nearest_rank() {
    let hundred: Vec<f64> = (1..=100).map(f64::from).collect();
    check_percentile(&hundred, 50.0, Some(50.0));
    check_percentile(&hundred, 99.0, Some(99.0));
    check_percentile(&hundred, 99.9, Some(100.0));
    check_percentile(&hundred, 100.0, Some(100.0));
    check_percentile(&hundred, 0.0, Some(1.0));
    check_percentile(&[7.0, 1.0], 50.0, Some(1.0));
    check_percentile(&[], 50.0, None);
    check_percentile(&[1.0], 101.0, None);
    let thousand: Vec<f64> = (1..=1000).rev().map(f64::from).collect();
    check_percentile(&thousand, 99.9, Some(999.0));
}

#[test]
fn ratios_are_pair_by_pair_and_skip_gaps() {
    let a = [Some(2.0), Some(9.0), None, Some(1.0), Some(4.0)];
    let b = [Some(1.0), Some(3.0), Some(5.0), Some(0.0), Some(8.0)];
    assert_eq!(pairwise_ratios(&a, &b), vec![2.0, 3.0, 0.5]);
    assert_eq!(pairwise_ratios(&a[..1], &b), vec![2.0], "the shorter side bounds the pairs");
    // Pairwise is not the ratio of medians: a drift that hits both sides cancels.
    let fast_then_slow = [Some(10.0), Some(1.0), Some(10.0)];
    let matched = [Some(20.0), Some(2.0), Some(20.0)];
    assert_eq!(median(&pairwise_ratios(&fast_then_slow, &matched)), Some(0.5));
}

#[test]
fn summary_has_median_min_max_and_count() {
    let s = Summary::of(&[3.0, f64::NAN, 1.0, 2.0]).unwrap();
    assert_eq!(s, Summary { median: 2.0, min: 1.0, max: 3.0, n: 3 });
    assert_eq!(Summary::of(&[f64::NAN]), None);
}
