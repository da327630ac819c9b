//! Tests of the shared wrapper: guards, and (with `driver`) `call` under paused tokio time.

use std::time::{Duration, Instant};

use backoff::{Backoff, Jitter};

use super::SharedBreaker;
use crate::{Config, Outcome, State, StateKind};

/// Trips after 2 failures, opens for exactly 1 s, one trial at a time, one success closes.
fn cfg() -> Config {
    Config::default().failure_threshold(2).half_open_max_calls(1).success_threshold(1).open_backoff(
        Backoff::new(Duration::from_secs(1), Duration::from_secs(8)).jitter(Jitter::None),
    )
}

#[test]
fn dropped_guard_releases_its_trial_slot() {
    let breaker = SharedBreaker::new(cfg()).unwrap();
    let t0 = Instant::now();
    for _ in 0..2 {
        breaker.acquire(t0).unwrap().record(Outcome::Failure, t0);
    }
    let until = t0 + Duration::from_secs(1);
    assert_eq!(breaker.acquire(t0).unwrap_err().retry_at, until);
    let trial = breaker.acquire(until).unwrap();
    assert!(trial.is_trial());
    assert_eq!(trial.started(), Some(until));
    assert!(breaker.acquire(until).is_err(), "the only slot is taken");
    drop(trial);
    assert_eq!(breaker.stats().cancelled, 1);
    breaker.acquire(until).unwrap().record(Outcome::Success, until);
    assert_eq!(breaker.state(), State::Closed);
    let clone = breaker.clone();
    assert_eq!(clone.stats().trips, 1);
    assert_eq!(clone.poll_timeout(), None);
}

#[test]
fn handle_timeout_through_the_wrapper() {
    let breaker = SharedBreaker::new(cfg()).unwrap();
    let t0 = Instant::now();
    breaker.with(|b| b.config().failure_threshold);
    for _ in 0..2 {
        breaker.acquire(t0).unwrap().record(Outcome::Failure, t0);
    }
    breaker.handle_timeout(t0 + Duration::from_secs(1));
    assert_eq!(breaker.state().kind(), StateKind::HalfOpen);
}

#[cfg(feature = "driver")]
mod driver {
    use std::future::pending;
    use std::time::Duration;

    use tokio::time::{advance, sleep, timeout};

    use super::cfg;
    use crate::{CallError, Outcome, SharedBreaker, State, StateKind};

    async fn fail() -> Result<(), &'static str> {
        Err("boom")
    }

    #[tokio::test(start_paused = true)]
    async fn call_trips_rejects_and_recovers() {
        let breaker = SharedBreaker::new(cfg()).unwrap();
        let mut events = breaker.subscribe();
        assert_eq!(breaker.call(async { Ok::<_, ()>(7) }).await, Ok(7));
        assert_eq!(breaker.call(fail()).await, Err(CallError::Inner("boom")));
        assert_eq!(breaker.call(fail()).await, Err(CallError::Inner("boom")));
        let State::Open { until } = breaker.state() else { panic!("not open") };
        let rejected = breaker.call(async { Ok::<_, &str>(1) }).await;
        assert_eq!(rejected, Err(CallError::Rejected { retry_at: until }));
        assert!(rejected.unwrap_err().to_string().contains("rejected"));
        advance(Duration::from_secs(1)).await;
        assert_eq!(breaker.call(async { Ok::<_, ()>(2) }).await, Ok(2));
        let kinds: Vec<_> =
            std::iter::from_fn(|| events.try_recv().ok()).map(|t| t.to.kind()).collect();
        assert_eq!(kinds, [StateKind::Open, StateKind::HalfOpen, StateKind::Closed]);
        let stats = breaker.stats();
        assert_eq!((stats.calls, stats.successes, stats.failures, stats.rejected), (4, 2, 2, 1));
    }

    #[tokio::test(start_paused = true)]
    async fn dropped_call_future_cancels_its_trial() {
        let breaker = SharedBreaker::new(cfg()).unwrap();
        for _ in 0..2 {
            let _ = breaker.call(fail()).await;
        }
        advance(Duration::from_secs(1)).await;
        let stuck = breaker.call(pending::<Result<(), ()>>());
        assert!(timeout(Duration::from_millis(50), stuck).await.is_err());
        assert_eq!(breaker.stats().cancelled, 1);
        assert_eq!(breaker.state(), State::HalfOpen);
        assert_eq!(breaker.call(async { Ok::<_, ()>(()) }).await, Ok(()));
        assert_eq!(breaker.state(), State::Closed);
    }

    #[tokio::test(start_paused = true)]
    async fn classifier_and_slow_calls() {
        let breaker = SharedBreaker::new(cfg().slow_call(Some(Duration::from_secs(1)))).unwrap();
        let not_found = |r: &Result<(), u16>| match r {
            Err(404) | Ok(()) => Outcome::Success,
            Err(_) => Outcome::Failure,
        };
        for _ in 0..3 {
            let result = breaker.call_with(async { Err::<(), u16>(404) }, not_found).await;
            assert_eq!(result, Err(CallError::Inner(404)));
        }
        assert_eq!(breaker.state(), State::Closed);
        for _ in 0..2 {
            let slow = async {
                sleep(Duration::from_millis(1_001)).await;
                Ok::<_, ()>(())
            };
            assert_eq!(breaker.call(slow).await, Ok(()));
        }
        assert_eq!(breaker.state().kind(), StateKind::Open);
        assert_eq!(breaker.stats().slow_calls, 2);
    }
}
