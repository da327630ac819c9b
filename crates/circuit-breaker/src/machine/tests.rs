//! Data-driven tests of the breaker: scripts of admissions and outcomes at made-up instants.

use std::time::{Duration, Instant};

use backoff::{Backoff, Jitter};

use super::CircuitBreaker;
use crate::{Admission, Config, Error, Outcome, Permit, State, StateKind};

use Outcome::{Failure as F, Success as S};
use Step::{Admit, Call, Cancel, Record, Reject};

/// One scripted action; times are milliseconds after the script's origin.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// Admit at `at`, expecting a permit (kept under the next index).
    Admit(u64),
    /// Admit at `at`, expecting a rejection with this `retry_at`.
    Reject(u64, u64),
    /// Record the permit with this index.
    Record(usize, Outcome, u64),
    /// Cancel the permit with this index.
    Cancel(usize),
    /// Admit and record at once (the permit still takes an index).
    Call(Outcome, u64),
}

/// Open durations of 5 s, 10 s, 20 s, 40 s, 60 s...: no jitter, so scripts are exact.
fn cfg() -> Config {
    Config::default().open_backoff(
        Backoff::new(Duration::from_secs(5), Duration::from_secs(60)).jitter(Jitter::None),
    )
}

fn ms(t0: Instant, at: u64) -> Instant {
    t0 + Duration::from_millis(at)
}

fn run(config: Config, steps: &[Step]) -> (CircuitBreaker, Instant) {
    let t0 = Instant::now();
    let mut breaker = CircuitBreaker::new(config).unwrap();
    let mut permits: Vec<Option<Permit>> = Vec::new();
    for (i, &step) in steps.iter().enumerate() {
        match step {
            Admit(at) | Call(_, at) => match breaker.admit(ms(t0, at)) {
                Admission::Allowed(p) => permits.push(Some(p)),
                other => panic!("step {i} {step:?}: expected a permit, got {other:?}"),
            },
            Reject(at, retry) => match breaker.admit(ms(t0, at)) {
                Admission::Rejected { retry_at } => assert_eq!(retry_at, ms(t0, retry), "step {i}"),
                other => panic!("step {i} {step:?}: expected a rejection, got {other:?}"),
            },
            Record(p, outcome, at) => {
                let permit = permits[p].take().expect("permit already used");
                breaker.record(permit, outcome, ms(t0, at));
            }
            Cancel(p) => breaker.cancel(permits[p].take().expect("permit already used")),
        }
        if let Call(outcome, at) = step {
            let permit = permits.last_mut().unwrap().take().unwrap();
            breaker.record(permit, outcome, ms(t0, at));
        }
    }
    (breaker, t0)
}

/// Runs `steps` and checks the final state (`open_until` in ms when Open) and trip count.
#[track_caller]
fn check(config: Config, steps: &[Step], kind: StateKind, open_until: Option<u64>, trips: u64) {
    let (breaker, t0) = run(config, steps);
    let expected = match (kind, open_until) {
        (StateKind::Open, Some(until)) => State::Open { until: ms(t0, until) },
        (StateKind::Closed, None) => State::Closed,
        (StateKind::HalfOpen, None) => State::HalfOpen,
        other => panic!("bad expectation {other:?}"),
    };
    assert_eq!(breaker.state(), expected, "steps {steps:?}");
    assert_eq!(breaker.stats().trips, trips, "steps {steps:?}");
    assert_eq!(breaker.stats().state, kind);
}

fn calls(outcomes: &[Outcome], from: u64, every: u64) -> Vec<Step> {
    let times = (0..).map(|i| from + i * every);
    outcomes.iter().zip(times).map(|(&o, at)| Call(o, at)).collect()
}

#[test]
fn consecutive_failures_trip() {
    check(cfg(), &calls(&[F; 4], 0, 1), StateKind::Closed, None, 0);
    check(cfg(), &calls(&[F; 5], 0, 1), StateKind::Open, Some(5_004), 1);
    check(cfg(), &calls(&[F, F, F, F, S, F, F, F, F], 0, 1), StateKind::Closed, None, 0);
    check(cfg().failure_threshold(1), &calls(&[S, F], 0, 10), StateKind::Open, Some(5_010), 1);
}

#[test]
fn failure_rate_trips_after_minimum_calls() {
    let alternating = [S, F, S, F, S, F, S, F, S, F];
    check(cfg(), &calls(&alternating[..9], 0, 1), StateKind::Closed, None, 0);
    check(cfg(), &calls(&alternating, 0, 1), StateKind::Open, Some(5_009), 1);
    // 4 failures in 10 calls stay below 0.5.
    let forty = [S, F, S, F, S, F, S, F, S, S];
    check(cfg(), &calls(&forty, 0, 1), StateKind::Closed, None, 0);
    check(cfg().minimum_calls(4), &calls(&[S, F, S, F], 0, 1), StateKind::Open, Some(5_003), 1);
    check(
        cfg().failure_rate_threshold(1.0),
        &calls(&alternating, 0, 1),
        StateKind::Closed,
        None,
        0,
    );
}

#[test]
fn old_calls_leave_the_window() {
    // Four failures at t = 0 s, then six calls 30 s later: the old bucket is gone.
    let mut steps = calls(&[F, S, F, S, F, S, F, S], 0, 1);
    steps.extend(calls(&[S, F, S, F, S, F], 30_000, 1));
    check(cfg(), &steps, StateKind::Closed, None, 0);
    // The same calls 27 s later still share the window (3 s buckets) and trip it.
    let mut steps = calls(&[F, S, F, S, F, S, F, S], 0, 1);
    steps.extend(calls(&[S, F], 27_000, 1));
    check(cfg(), &steps, StateKind::Open, Some(32_001), 1);
}

#[test]
fn open_rejects_until_the_duration_passes() {
    let mut steps = calls(&[F; 5], 0, 0);
    steps.extend([Reject(1, 5_000), Reject(4_999, 5_000), Admit(5_000)]);
    check(cfg(), &steps, StateKind::HalfOpen, None, 1);
}

#[test]
fn half_open_limits_trials_and_closes_after_successes() {
    let mut steps = calls(&[F; 5], 0, 0);
    steps.extend([Admit(5_000), Admit(5_000), Admit(5_000), Reject(5_001, 10_001)]);
    check(cfg(), &steps, StateKind::HalfOpen, None, 1);
    steps.extend([Record(5, S, 5_100), Admit(5_200), Reject(5_201, 10_201)]);
    check(cfg(), &steps, StateKind::HalfOpen, None, 1);
    steps.push(Record(6, S, 5_300));
    check(cfg(), &steps, StateKind::Closed, None, 1);
    check(cfg().success_threshold(1), &steps[..10], StateKind::Closed, None, 1);
}

#[test]
fn open_duration_grows_per_trip_and_resets_on_close() {
    let mut steps = calls(&[F; 5], 0, 0);
    steps.push(Call(F, 5_000));
    check(cfg(), &steps, StateKind::Open, Some(15_000), 2);
    steps.push(Call(F, 15_000));
    check(cfg(), &steps, StateKind::Open, Some(35_000), 3);
    steps.extend(calls(&[S, S], 35_000, 0));
    steps.extend(calls(&[F; 5], 40_000, 0));
    check(cfg(), &steps, StateKind::Open, Some(45_000), 4);
}

#[test]
fn stale_permits_never_move_the_breaker() {
    // Permit 0 is admitted while Closed and returns successful twice as late, in HalfOpen.
    let mut steps = vec![Admit(0)];
    steps.extend(calls(&[F; 5], 1, 0));
    steps.extend([Call(S, 5_001), Record(0, S, 5_002)]);
    check(cfg(), &steps, StateKind::HalfOpen, None, 1);
    // A Closed-era failure arriving after the breaker closed again does not count either.
    let mut steps = vec![Admit(0)];
    steps.extend(calls(&[F; 5], 1, 0));
    steps.extend(calls(&[S, S, F, F, F, F], 5_001, 0));
    steps.push(Record(0, F, 5_002));
    check(cfg(), &steps, StateKind::Closed, None, 1);
    let (breaker, _) = run(cfg(), &steps);
    assert_eq!(breaker.stats().stale, 1);
}

#[test]
fn cancel_frees_trial_slots_of_the_current_generation_only() {
    let mut steps = calls(&[F; 5], 0, 0);
    steps.extend([Admit(5_000), Admit(5_000), Admit(5_000), Cancel(5), Admit(5_001)]);
    check(cfg(), &steps, StateKind::HalfOpen, None, 1);
    // Trial 6 fails and re-opens; cancelling the old trial 7 must not free a new slot.
    steps.extend([Record(6, F, 5_002), Cancel(7), Admit(15_002), Admit(15_002), Admit(15_002)]);
    steps.push(Reject(15_002, 20_002));
    check(cfg(), &steps, StateKind::HalfOpen, None, 2);
}

#[test]
fn slow_calls_count_as_failures() {
    let slow = cfg().slow_call(Some(Duration::from_millis(100))).failure_threshold(2);
    let steps = [Admit(0), Record(0, S, 100), Admit(200), Record(1, S, 301)];
    check(slow, &steps, StateKind::Closed, None, 0);
    let steps = [Admit(0), Record(0, S, 101), Admit(200), Record(1, S, 301)];
    check(slow, &steps, StateKind::Open, Some(5_301), 1);
    let (breaker, _) = run(slow, &steps);
    let stats = breaker.stats();
    assert_eq!((stats.calls, stats.successes, stats.failures, stats.slow_calls), (2, 0, 2, 2));
}

#[test]
fn transitions_are_queued_in_order_and_bounded() {
    let mut steps = calls(&[F; 5], 0, 0);
    steps.extend(calls(&[S, S], 5_000, 10));
    let (mut breaker, t0) = run(cfg(), &steps);
    let open = State::Open { until: ms(t0, 5_000) };
    let expected = [
        (State::Closed, open, 0),
        (open, State::HalfOpen, 5_000),
        (State::HalfOpen, State::Closed, 5_010),
    ];
    for (from, to, at) in expected {
        let event = breaker.poll_event().unwrap();
        assert_eq!((event.from, event.to, event.at), (from, to, ms(t0, at)));
    }
    assert_eq!(breaker.poll_event(), None);
    let (mut small, _) = run(cfg().event_capacity(2), &steps);
    assert_eq!(small.stats().events_dropped, 1);
    assert_eq!(small.poll_event().map(|e| e.to), Some(State::HalfOpen));
}

#[test]
fn poll_timeout_and_handle_timeout() {
    let (mut breaker, t0) = run(cfg(), &calls(&[F; 5], 0, 0));
    assert_eq!(breaker.poll_timeout(), Some(ms(t0, 5_000)));
    breaker.handle_timeout(ms(t0, 4_999));
    assert_eq!(breaker.state().kind(), StateKind::Open);
    breaker.handle_timeout(ms(t0, 5_000));
    assert_eq!((breaker.state(), breaker.poll_timeout()), (State::HalfOpen, None));
}

#[test]
fn default_open_duration_is_equal_jittered() {
    for seed in 0..50 {
        let (breaker, t0) = run(Config::default().seed(seed), &calls(&[F; 5], 0, 0));
        let State::Open { until } = breaker.state() else { panic!("not open") };
        let open_for = until - t0;
        assert!((Duration::from_millis(2_500)..=Duration::from_secs(5)).contains(&open_for));
    }
}

#[track_caller]
fn check_invalid(config: Config, expected: Error) {
    assert_eq!(CircuitBreaker::new(config).unwrap_err(), expected);
}

#[test]
fn config_validation() {
    let d = Config::default();
    assert_eq!(d.validate(), Ok(()));
    check_invalid(d.failure_threshold(0), Error::ZeroFailureThreshold);
    check_invalid(d.failure_rate_threshold(0.0), Error::FailureRate(0.0));
    check_invalid(d.failure_rate_threshold(1.5), Error::FailureRate(1.5));
    check_invalid(d.minimum_calls(0), Error::ZeroMinimumCalls);
    check_invalid(d.half_open_max_calls(0), Error::ZeroHalfOpenCalls);
    check_invalid(d.success_threshold(0), Error::ZeroSuccessThreshold);
    check_invalid(d.event_capacity(0), Error::ZeroEventCapacity);
    check_invalid(d.window(Duration::from_secs(1), 0), Error::ZeroBuckets);
    let window = Error::Window { window: Duration::ZERO, buckets: 3 };
    check_invalid(d.window(Duration::ZERO, 3), window);
    let bad = Backoff::new(Duration::from_secs(2), Duration::from_secs(1));
    assert!(matches!(CircuitBreaker::new(d.open_backoff(bad)), Err(Error::Backoff(_))));
    assert!(CircuitBreaker::new(d.failure_rate_threshold(f64::NAN)).is_err());
}
