//! Unit tests: the pure policy and budget (data-driven and proptest), callbacks, endpoints,
//! and the driver on tokio's paused clock.

#![allow(clippy::unwrap_used)]

use std::collections::VecDeque;
use std::future::{Ready, ready};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use tokio::time;

use super::*;
use crate::budget::{RETRY, SLOTS};

const MS: Duration = Duration::from_millis(1);

// ---------------------------------------------------------------- policy

#[track_caller]
fn check_base(policy: Policy, attempt: u32, cause: DisconnectCause, expected_ms: u64) {
    assert_eq!(policy.base_delay(attempt, cause), Duration::from_millis(expected_ms));
}

#[test]
fn base_delays_depend_on_the_cause() {
    use DisconnectCause::{ServerRequested as Server, Unexpected};
    let p = Policy::default();
    check_base(p, 0, Unexpected, 0);
    check_base(p, 1, Unexpected, 500);
    check_base(p, 2, Unexpected, 1_000);
    check_base(p, 7, Unexpected, 30_000);
    check_base(p, 0, Server, 500);
    check_base(p, 1, Server, 1_000);
    check_base(p, 5, Server, 16_000);
    let late = p.immediate_first_retry(false);
    check_base(late, 0, Unexpected, 500);
    check_base(late, 1, Unexpected, 1_000);
    check_base(late, 0, Server, 500);
}

#[test]
fn first_delays_immediate_or_spread() {
    let p = Policy::default();
    let mut rng = SmallRng::seed_from_u64(3);
    let zero = Duration::ZERO;
    for _ in 0..50 {
        let unexpected = p.next_delay(0, DisconnectCause::Unexpected, zero, &mut rng);
        assert_eq!(unexpected, Some(zero));
        let spread = p.next_delay(0, DisconnectCause::ServerRequested, zero, &mut rng);
        assert!(spread.unwrap() <= Duration::from_millis(500));
    }
    // Spread even when the backoff itself has no jitter.
    let exact = p.backoff(p.backoff.jitter(Jitter::None));
    let spread: Vec<_> = (0..20)
        .map(|_| exact.next_delay(0, DisconnectCause::ServerRequested, zero, &mut rng))
        .collect();
    assert!(spread.iter().any(|d| *d != spread[0]), "{spread:?}");
}

#[test]
fn policy_gives_up_on_attempts_and_elapsed() {
    let mut rng = SmallRng::seed_from_u64(1);
    let cause = DisconnectCause::Unexpected;
    let p = Policy::default().max_attempts(Some(3));
    assert!(p.next_delay(2, cause, Duration::ZERO, &mut rng).is_some());
    assert_eq!(p.next_delay(3, cause, Duration::ZERO, &mut rng), None);
    let exact = Policy::default()
        .backoff(Backoff::new(Duration::from_secs(1), Duration::from_secs(30)).jitter(Jitter::None))
        .max_elapsed(Some(Duration::from_secs(10)));
    let delay = |elapsed: u64, rng: &mut SmallRng| {
        exact.next_delay(5, cause, Duration::from_secs(elapsed), rng)
    };
    assert_eq!(delay(0, &mut rng), Some(Duration::from_secs(10)));
    assert_eq!(delay(7, &mut rng), Some(Duration::from_secs(3)));
    assert_eq!(delay(10, &mut rng), None);
    assert_eq!(
        exact.first_retry_after_initial_failure(),
        1,
        "the failed first connection counts as the immediate retry"
    );
}

#[test]
fn close_codes_classify() {
    for (code, cause) in [
        (1000, DisconnectCause::ServerRequested),
        (1001, DisconnectCause::ServerRequested),
        (1012, DisconnectCause::ServerRequested),
        (1013, DisconnectCause::ServerRequested),
        (1006, DisconnectCause::Unexpected),
        (1011, DisconnectCause::Unexpected),
        (4000, DisconnectCause::Unexpected),
    ] {
        assert_eq!(DisconnectCause::from_close_code(code), cause, "{code}");
    }
}

#[test]
fn config_validation() {
    assert_eq!(Config::default().validate(), Ok(()));
    let bad_backoff = Policy::default().backoff(Backoff::default().multiplier(0.5));
    assert!(matches!(Config::default().policy(bad_backoff).validate(), Err(Error::Backoff(_))));
    let zero = Config::default().connect_timeout(Some(Duration::ZERO));
    assert!(matches!(zero.validate(), Err(Error::Config(_))));
    let breaker = circuit_breaker::Config::default().failure_threshold(0);
    assert!(matches!(Config::default().breaker(breaker).validate(), Err(Error::Breaker(_))));
    for budget in [
        BudgetConfig::default().min_retries_per_sec(0.0),
        BudgetConfig::default().ttl(Duration::ZERO),
        BudgetConfig::default().retry_ratio(-1.0),
        BudgetConfig::default().retry_ratio(f64::NAN),
    ] {
        assert!(RetryBudget::new(budget).is_err(), "{budget:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn policy_delays_within_cap_and_bases_monotone(
        attempt in 0u32..200, server: bool, immediate: bool, seed: u64,
        initial_ms in 0u64..5_000, extra_ms in 0u64..60_000, mult in 1.0f64..8.0,
    ) {
        let cap = Duration::from_millis(initial_ms + extra_ms);
        let backoff = Backoff::new(Duration::from_millis(initial_ms), cap).multiplier(mult);
        let p = Policy::default().backoff(backoff).immediate_first_retry(immediate);
        let cause = if server { DisconnectCause::ServerRequested } else { DisconnectCause::Unexpected };
        let mut rng = SmallRng::seed_from_u64(seed);
        let delay = p.next_delay(attempt, cause, Duration::ZERO, &mut rng).unwrap();
        prop_assert!(delay <= p.base_delay(attempt, cause));
        prop_assert!(p.base_delay(attempt, cause) <= cap);
        prop_assert!(p.base_delay(attempt, cause) <= p.base_delay(attempt + 1, cause));
    }
}

// ---------------------------------------------------------------- budget

#[test]
fn budget_floor_then_refill_by_expiry() {
    let config = BudgetConfig::default()
        .ttl(Duration::from_secs(10))
        .min_retries_per_sec(0.3)
        .retry_ratio(0.5);
    let mut budget = RetryBudget::new(config).unwrap();
    let t0 = Instant::now();
    assert_eq!(budget.available(t0), 3.0);
    for _ in 0..3 {
        assert!(budget.withdraw(t0));
    }
    assert!(!budget.withdraw(t0));
    // The withdrawals leave the window with their bucket, 10 s later.
    assert_eq!(budget.retry_at(t0), t0 + Duration::from_secs(10));
    assert!(!budget.withdraw(t0 + Duration::from_millis(9_999)));
    assert!(budget.withdraw(t0 + Duration::from_secs(10)));
    // Two successes pay for one retry.
    let t1 = t0 + Duration::from_secs(10);
    budget.deposit(t1);
    budget.deposit(t1);
    for _ in 0..3 {
        assert!(budget.withdraw(t1));
    }
    assert!(!budget.withdraw(t1));
    assert_eq!(budget.retry_at(t1), t1 + Duration::from_secs(10));
}

#[test]
fn budget_retry_at_picks_the_first_sufficient_bucket() {
    let config = BudgetConfig::default()
        .ttl(Duration::from_secs(10))
        .min_retries_per_sec(0.2)
        .retry_ratio(0.0);
    let mut budget = RetryBudget::new(config).unwrap();
    let t0 = Instant::now();
    assert!(budget.withdraw(t0));
    assert!(budget.withdraw(t0 + Duration::from_millis(3_500)));
    let now = t0 + Duration::from_secs(4);
    assert!(!budget.withdraw(now));
    // The first withdrawal's bucket (0..1 s) leaves at 10 s; that frees one retry.
    assert_eq!(budget.retry_at(now), t0 + Duration::from_secs(10));
    assert_eq!(budget.retry_at(t0 + Duration::from_secs(12)), t0 + Duration::from_secs(12));
}

/// The budget against a naive log of every operation.
fn budget_model(config: BudgetConfig, ops: &[(bool, u64)]) -> Result<(), TestCaseError> {
    let mut budget = RetryBudget::new(config).unwrap();
    let width = config.ttl.as_nanos() / SLOTS as u128;
    let deposit = (config.retry_ratio * RETRY as f64).round() as i64;
    let floor = config.min_retries_per_sec * config.ttl.as_secs_f64();
    let reserve = (floor * RETRY as f64) as i64;
    let mut now = Instant::now();
    let mut origin = None;
    let mut log: Vec<(u64, bool)> = Vec::new(); // (bucket, is_deposit) of accepted operations
    for &(is_deposit, advance_ms) in ops {
        now += Duration::from_millis(advance_ms);
        let t0 = *origin.get_or_insert(now);
        let bucket = ((now - t0).as_nanos() / width) as u64;
        let live = log.iter().filter(|(b, _)| b + SLOTS as u64 > bucket);
        let (deposits, withdrawals) =
            live.fold((0i64, 0i64), |(d, w), (_, dep)| if *dep { (d + 1, w) } else { (d, w + 1) });
        if is_deposit {
            budget.deposit(now);
            log.push((bucket, true));
            continue;
        }
        let expected = deposits * deposit - withdrawals * RETRY + reserve >= RETRY;
        prop_assert_eq!(budget.withdraw(now), expected);
        if expected {
            log.push((bucket, false));
            let allowed = (deposits as f64) * (config.retry_ratio + 0.0005) + floor;
            prop_assert!((withdrawals + 1) as f64 <= allowed + 1e-9);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn budget_never_lends_more_than_deposits_times_ratio_plus_floor(
        ttl_ms in 100u64..20_000, floor_per_sec in 0.0f64..5.0, ratio in 0.0f64..2.0,
        ops in prop::collection::vec((any::<bool>(), 0u64..2_000), 1..200),
    ) {
        let ttl = Duration::from_millis(ttl_ms);
        let min_rate = floor_per_sec.max(1.001 / ttl.as_secs_f64());
        let config = BudgetConfig::default().ttl(ttl).min_retries_per_sec(min_rate).retry_ratio(ratio);
        budget_model(config, &ops)?;
    }
}

// ---------------------------------------------------------------- callbacks, endpoints

#[test]
fn callbacks_catch_panics_and_stop_at_a_critical_failure() {
    let mut callbacks = Callbacks::default();
    let ran = Arc::new(Mutex::new(Vec::new()));
    let log = |name: &'static str| {
        let ran = ran.clone();
        move |_: &CallbackContext| -> Result<(), CallbackError> {
            ran.lock().unwrap().push(name);
            Ok(())
        }
    };
    callbacks.register(Hook::Connect, "a", Criticality::NonCritical, |_| panic!("boom"));
    callbacks.register(Hook::Connect, "b", Criticality::NonCritical, log("b"));
    callbacks.register(Hook::Disconnect, "c", Criticality::Critical, log("c"));
    callbacks.register(Hook::Connect, "d", Criticality::Critical, |_| Err("denied".into()));
    callbacks.register(Hook::Connect, "e", Criticality::NonCritical, log("e"));
    let context = CallbackContext { hook: Hook::Connect, attempts: 1, cause: None };
    let failures = callbacks.run(&context);
    let summary: Vec<_> =
        failures.iter().map(|f| (f.name.as_str(), f.criticality, f.message.as_str())).collect();
    assert_eq!(
        summary,
        [("a", Criticality::NonCritical, "panicked: boom"), ("d", Criticality::Critical, "denied"),]
    );
    assert_eq!(*ran.lock().unwrap(), ["b"]);
}

#[test]
fn endpoints_rotate_round_robin_across_clones() {
    assert!(Endpoints::<&str>::new([]).is_err());
    let endpoints = Endpoints::new(["a", "b", "c"]).unwrap();
    let reader = endpoints.clone();
    assert_eq!(*reader.current(), "a");
    assert_eq!(*endpoints.rotate(), "b");
    assert_eq!(*reader.current(), "b");
    endpoints.rotate();
    assert_eq!(*endpoints.rotate(), "a");
    assert_eq!((reader.index(), reader.all().len()), (0, 3));
}

// ---------------------------------------------------------------- driver

/// A scripted server: each connect call pops an outcome (`true` = accept; accept when the
/// script is empty) and logs the paused clock.
#[derive(Clone, Default)]
struct Server {
    script: Arc<Mutex<VecDeque<bool>>>,
    calls: Arc<Mutex<Vec<time::Instant>>>,
}

type Connector = Box<dyn FnMut() -> Ready<Result<usize, String>> + Send>;

impl Server {
    fn script(&self, outcomes: &[bool]) {
        self.script.lock().unwrap().extend(outcomes);
    }

    fn calls(&self) -> Vec<time::Instant> {
        self.calls.lock().unwrap().clone()
    }

    fn connector(&self) -> Connector {
        let server = self.clone();
        Box::new(move || {
            let mut calls = server.calls.lock().unwrap();
            calls.push(time::Instant::now());
            let accept = server.script.lock().unwrap().pop_front().unwrap_or(true);
            ready(if accept { Ok(calls.len()) } else { Err("refused".to_owned()) })
        })
    }
}

fn seeded(seed: u64) -> Config {
    Config::default().seed(Some(seed))
}

fn client(config: Config, server: &Server) -> Reconnector<Connector, NoGate> {
    Reconnector::with_gate(config, NoGate, server.connector()).unwrap()
}

/// The gaps between consecutive connect calls, starting from `from`.
fn gaps(from: time::Instant, calls: &[time::Instant]) -> Vec<Duration> {
    let mut previous = from;
    calls
        .iter()
        .map(|&call| {
            let gap = call - previous;
            previous = call;
            gap
        })
        .collect()
}

#[track_caller]
fn check_waits(waited: &[Duration], expected: &[Duration]) {
    assert_eq!(waited.len(), expected.len(), "{waited:?} vs {expected:?}");
    for (w, e) in waited.iter().zip(expected) {
        // tokio's timer rounds a deadline up to the next millisecond.
        assert!(*w >= *e && *w <= *e + MS, "waited {waited:?}, policy {expected:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn driver_waits_the_policy_delays_after_an_unexpected_drop() {
    let seed = 11;
    let server = Server::default();
    let mut client = client(seeded(seed), &server);
    assert_eq!(client.connect().await.unwrap(), 1);
    server.script(&[false; 6]);
    let dropped = time::Instant::now();
    client.disconnected(DisconnectCause::Unexpected).unwrap();
    let state = client.state();
    assert_eq!(state, ConnState::Reconnecting { attempt: 0, delay: Duration::ZERO });
    assert_eq!(client.connect().await.unwrap(), 8);

    let policy = Policy::default();
    let mut rng = SmallRng::seed_from_u64(seed);
    let expected: Vec<_> = (0..7)
        .map(|n| policy.next_delay(n, DisconnectCause::Unexpected, Duration::ZERO, &mut rng))
        .map(Option::unwrap)
        .collect();
    assert_eq!(expected[0], Duration::ZERO, "the first retry is immediate");
    assert!(expected[1..].iter().all(|d| !d.is_zero()));
    check_waits(&gaps(dropped, &server.calls()[1..]), &expected);
    let stats = client.stats();
    assert_eq!((stats.attempts, stats.successes, stats.failures), (8, 2, 6));
    assert_eq!(client.state(), ConnState::Connected);
}

#[tokio::test(start_paused = true)]
async fn first_retry_after_a_server_requested_close_is_jittered() {
    let seed = 5;
    let server = Server::default();
    let mut client = client(seeded(seed), &server);
    client.connect().await.unwrap();
    server.script(&[false]);
    let dropped = time::Instant::now();
    client.disconnected(DisconnectCause::ServerRequested).unwrap();
    client.connect().await.unwrap();

    let policy = Policy::default();
    let mut rng = SmallRng::seed_from_u64(seed);
    let cause = DisconnectCause::ServerRequested;
    let expected: Vec<_> =
        (0..2).map(|n| policy.next_delay(n, cause, Duration::ZERO, &mut rng).unwrap()).collect();
    assert!(!expected[0].is_zero() && expected[0] <= Duration::from_millis(500));
    check_waits(&gaps(dropped, &server.calls()[1..]), &expected);
}

#[tokio::test(start_paused = true)]
async fn failed_first_connection_retries_then_gives_up() {
    let server = Server::default();
    server.script(&[false; 3]);
    let policy = Policy::default().max_attempts(Some(3));
    let mut client = client(seeded(1).policy(policy), &server);
    assert_eq!(client.state(), ConnState::Connecting);
    let error = client.connect().await.unwrap_err();
    let reason = FailReason::GaveUp { attempts: 3, last_error: "refused".to_owned() };
    assert_eq!(error, Error::Failed(reason.clone()));
    assert_eq!(client.state(), ConnState::Failed { reason });
    // The failed first attempt stood for the immediate retry: the next one waited.
    let calls = server.calls();
    assert_eq!(calls.len(), 3);
    assert!(calls[1] > calls[0]);
    assert!(client.connect().await.is_err(), "failed is final");
    assert_eq!(server.calls().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn critical_callback_failure_ends_in_failed() {
    let server = Server::default();
    let mut client = client(seeded(1), &server)
        .on_connect("audit", Criticality::NonCritical, |_| Err("audit down".into()))
        .on_reconnect("resubscribe", Criticality::Critical, |_| panic!("no session"));
    client.connect().await.unwrap();
    assert_eq!(client.stats().non_critical_callback_failures, 1);
    assert_eq!(client.state(), ConnState::Connected);
    client.disconnected(DisconnectCause::Unexpected).unwrap();
    let error = client.connect().await.unwrap_err();
    let reason = FailReason::CriticalCallback {
        hook: Hook::Reconnect,
        name: "resubscribe".to_owned(),
        message: "panicked: no session".to_owned(),
    };
    assert_eq!(error, Error::Failed(reason.clone()));
    assert_eq!(client.state(), ConnState::Failed { reason });
    let stats = client.stats();
    assert_eq!(stats.non_critical_callback_failures, 2);
    assert_eq!(stats.critical_callback_failures, 1);
    assert_eq!(client.disconnected(DisconnectCause::Unexpected), Err(error));
}

#[tokio::test(start_paused = true)]
async fn critical_disconnect_callback_stops_before_any_retry() {
    let server = Server::default();
    let mut client =
        client(seeded(1), &server).on_disconnect("persist", Criticality::Critical, |context| {
            Err(format!("cannot persist after {:?}", context.cause).into())
        });
    client.connect().await.unwrap();
    let error = client.disconnected(DisconnectCause::ServerRequested).unwrap_err();
    assert!(error.to_string().contains("critical on_disconnect callback \"persist\""));
    assert!(client.connect().await.is_err());
    assert_eq!(server.calls().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn breaker_suspends_attempts_then_lets_a_trial_through() {
    let open = Backoff::new(Duration::from_secs(5), Duration::from_secs(60)).jitter(Jitter::None);
    let breaker = Config::default().breaker.failure_threshold(2).open_backoff(open);
    let server = Server::default();
    let endpoints = Endpoints::new(["a", "b"]).unwrap();
    let rotated = endpoints.clone();
    let mut client = Reconnector::new(seeded(2).breaker(breaker), server.connector())
        .unwrap()
        .on_breaker_open(move |_| {
            rotated.rotate();
        });
    let states = client.subscribe();
    client.connect().await.unwrap();
    server.script(&[false, false]);
    client.disconnected(DisconnectCause::Unexpected).unwrap();

    // The second failure trips the breaker; no attempt runs while it is open.
    let waited = time::timeout(Duration::from_secs(2), client.connect()).await;
    assert!(waited.is_err(), "still suspended");
    let calls = server.calls();
    assert_eq!(calls.len(), 3);
    let until = calls[2].into_std() + Duration::from_secs(5);
    assert_eq!(*states.borrow(), ConnState::Suspended { until });
    assert_eq!(client.gate().state(), circuit_breaker::State::Open { until });
    assert_eq!(*endpoints.current(), "b", "the fallback rotated the endpoint");

    // After the open duration one trial runs, succeeds and closes the breaker.
    client.connect().await.unwrap();
    let calls = server.calls();
    assert_eq!(calls.len(), 4);
    check_waits(&[calls[3] - calls[2]], &[Duration::from_secs(5)]);
    assert_eq!(client.gate().state(), circuit_breaker::State::Closed);
    assert_eq!(client.state(), ConnState::Connected);
    let stats = client.stats();
    assert_eq!((stats.suspensions, stats.failures, stats.successes), (1, 2, 2));
}

#[tokio::test(start_paused = true)]
async fn budget_holds_back_a_flapping_connection() {
    let budget = BudgetConfig::default()
        .ttl(Duration::from_secs(10))
        .min_retries_per_sec(0.2)
        .retry_ratio(0.0);
    let server = Server::default();
    let mut client = client(seeded(3).budget(budget), &server);
    let start = time::Instant::now();
    client.connect().await.unwrap();
    // Accepted and dropped at once, three times: the floor pays for two immediate retries.
    for _ in 0..2 {
        client.disconnected(DisconnectCause::Unexpected).unwrap();
        client.connect().await.unwrap();
    }
    client.disconnected(DisconnectCause::Unexpected).unwrap();
    let waited = time::timeout(Duration::from_secs(1), client.connect()).await;
    assert!(waited.is_err(), "the empty budget holds the retry back");
    let state = client.state();
    assert_eq!(state, ConnState::Reconnecting { attempt: 0, delay: Duration::from_secs(10) });
    assert_eq!(client.stats().budget_exhaustions, 1);

    client.connect().await.unwrap();
    let waits = gaps(start, &server.calls());
    check_waits(&waits, &[Duration::ZERO, Duration::ZERO, Duration::ZERO, Duration::from_secs(10)]);
}

#[tokio::test(start_paused = true)]
async fn slow_attempts_time_out_and_close_is_final() {
    let calls = Arc::new(Mutex::new(0));
    let counter = calls.clone();
    let connect = move || {
        *counter.lock().unwrap() += 1;
        std::future::pending::<Result<(), String>>()
    };
    let config = seeded(1)
        .connect_timeout(Some(Duration::from_secs(3)))
        .policy(Policy::default().max_attempts(Some(1)));
    let mut client = Reconnector::with_gate(config, NoGate, connect).unwrap();
    let start = time::Instant::now();
    let Err(Error::Failed(FailReason::GaveUp { attempts, last_error })) = client.connect().await
    else {
        panic!("expected to give up");
    };
    assert_eq!((attempts, last_error.as_str()), (1, "connect timed out after 3s"));
    assert_eq!(start.elapsed(), Duration::from_secs(3));
    assert_eq!(*calls.lock().unwrap(), 1);

    let server = Server::default();
    let mut closed = client_with_close(&server).await;
    assert_eq!(closed.connect().await.unwrap_err(), Error::Closed);
    assert_eq!(closed.state(), ConnState::Closed);
    assert_eq!(server.calls().len(), 1);
}

async fn client_with_close(server: &Server) -> Reconnector<Connector, NoGate> {
    let mut client = client(seeded(1), server);
    client.connect().await.unwrap();
    client.close();
    client
}
