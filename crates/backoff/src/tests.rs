use std::time::Duration;

use proptest::prelude::*;
use rand::{SeedableRng, rngs::StdRng};

use super::*;

#[track_caller]
fn check(policy: Backoff, attempt: u32, expected_ms: u64) {
    assert_eq!(policy.base_delay(attempt), Duration::from_millis(expected_ms));
}

#[test]
fn base_delays_grow_and_cap() {
    let p = Backoff::new(Duration::from_millis(500), Duration::from_secs(30));
    check(p, 0, 500);
    check(p, 1, 1_000);
    check(p, 5, 16_000);
    check(p, 6, 30_000);
    check(p, u32::MAX, 30_000);
    check(p.multiplier(1.0), 40, 500);
}

#[test]
fn validate_rejects_bad_policies() {
    let p = Backoff::default();
    assert_eq!(p.validate(), Ok(()));
    assert_eq!(p.multiplier(0.5).validate(), Err(Error::Multiplier(0.5)));
    assert!(p.multiplier(f64::NAN).validate().is_err());
    let inverted = Backoff::new(Duration::from_secs(2), Duration::from_secs(1));
    assert!(matches!(inverted.validate(), Err(Error::InitialAboveMax { .. })));
}

#[test]
fn validate_accepts_the_boundaries() {
    // A constant delay (multiplier exactly 1) and a fixed one (initial equal to max) are valid.
    assert_eq!(Backoff::default().multiplier(1.0).validate(), Ok(()));
    let fixed = Backoff::new(Duration::from_secs(1), Duration::from_secs(1));
    assert_eq!(fixed.validate(), Ok(()));
}

#[test]
fn jitter_stays_in_its_band() {
    let mut rng = StdRng::seed_from_u64(1);
    let p = Backoff::new(Duration::from_secs(1), Duration::from_secs(8));
    for attempt in 0..10 {
        let base = p.base_delay(attempt);
        let equal = p.jitter(Jitter::Equal).delay(attempt, &mut rng);
        assert!(equal >= base / 2 && equal <= base, "{equal:?} vs {base:?}");
        assert_eq!(p.jitter(Jitter::None).delay(attempt, &mut rng), base);
    }
}

proptest! {
    #[test]
    fn delay_never_exceeds_cap_and_base_is_monotone(
        initial_ms in 0u64..10_000, extra_ms in 0u64..100_000,
        mult in 1.0f64..10.0, attempt in 0u32..200, seed: u64,
    ) {
        let p = Backoff::new(Duration::from_millis(initial_ms), Duration::from_millis(initial_ms + extra_ms))
            .multiplier(mult);
        prop_assert!(p.validate().is_ok());
        let mut rng = StdRng::seed_from_u64(seed);
        prop_assert!(p.delay(attempt, &mut rng) <= p.max);
        prop_assert!(p.base_delay(attempt) <= p.base_delay(attempt + 1));
    }
}
