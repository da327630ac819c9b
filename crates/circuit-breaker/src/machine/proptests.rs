//! Property tests: trial and open-duration invariants, and agreement with a simple model.

use std::time::{Duration, Instant};

use backoff::{Backoff, Jitter};
use proptest::prelude::*;

use super::CircuitBreaker;
use crate::{Admission, Config, Outcome, Permit, State};

#[derive(Clone, Copy, Debug)]
enum Op {
    Advance(u64),
    /// Jump exactly to the breaker's `poll_timeout`, the boundary most worth testing.
    ToDeadline,
    Admit,
    Record {
        pick: usize,
        fail: bool,
    },
    Cancel {
        pick: usize,
    },
    Timeout,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => prop_oneof![0..50u64, 0..3_000u64, 0..20_000u64].prop_map(Op::Advance),
        1 => Just(Op::ToDeadline),
        4 => Just(Op::Admit),
        4 => (any::<usize>(), any::<bool>()).prop_map(|(pick, fail)| Op::Record { pick, fail }),
        1 => any::<usize>().prop_map(|pick| Op::Cancel { pick }),
        1 => Just(Op::Timeout),
    ]
}

/// Configs whose open durations and bucket widths are exact in both `f64` seconds and integer
/// nanoseconds, so the model can compute them its own way.
fn config(jitter: Jitter) -> impl Strategy<Value = Config> {
    let counts = (1..7u32, 1..9u32, 1..5u32, 1..4u32);
    let rates = prop::sample::select(vec![0.25, 0.5, 0.75, 1.0]);
    (counts, rates, timing(jitter)).prop_map(|((fails, min, trials, successes), rate, timed)| {
        timed
            .failure_threshold(fails)
            .minimum_calls(min)
            .half_open_max_calls(trials)
            .success_threshold(successes)
            .failure_rate_threshold(rate)
    })
}

/// The time-related part of [`config`]: window, slow calls, open durations and seed.
fn timing(jitter: Jitter) -> impl Strategy<Value = Config> {
    let window = (1..6u32, 100..3_000u64, prop::option::of(0..3_000u64));
    let initial = prop::sample::select(vec![1u64, 2, 5]);
    let cap = prop::sample::select(vec![1u32, 4, 16]);
    (window, initial, cap, any::<u64>()).prop_map(
        move |((buckets, ms, slow), initial, cap, seed)| {
            let initial = Duration::from_secs(initial);
            Config::default()
                .window(Duration::from_millis(ms) * buckets, buckets)
                .slow_call(slow.map(Duration::from_millis))
                .open_backoff(Backoff::new(initial, initial * cap).jitter(jitter))
                .seed(seed)
        },
    )
}

/// The breaker as a checklist, written without looking at buckets or `Backoff`: the window
/// is a list of every counted call, filtered by bucket number on each check.
struct Model {
    config: Config,
    state: State,
    generation: u64,
    fails_in_row: u32,
    trips_in_row: u32,
    trials: u32,
    trial_successes: u32,
    origin: Option<Instant>,
    history: Vec<(u128, bool)>,
    trips: u64,
}

struct ModelPermit {
    started: Instant,
    trial: bool,
    generation: u64,
}

impl Model {
    fn new(config: Config) -> Self {
        Self {
            config,
            state: State::Closed,
            generation: 0,
            fails_in_row: 0,
            trips_in_row: 0,
            trials: 0,
            trial_successes: 0,
            origin: None,
            history: Vec::new(),
            trips: 0,
        }
    }

    fn wake(&mut self, now: Instant) {
        if matches!(self.state, State::Open { until } if now >= until) {
            self.enter(State::HalfOpen);
        }
    }

    /// `Ok(trial)` or `Err(retry_at)`, like `admit`.
    fn admit(&mut self, now: Instant) -> Result<ModelPermit, Instant> {
        self.wake(now);
        let trial = match self.state {
            State::Open { until } => return Err(until),
            State::HalfOpen if self.trials == self.config.half_open_max_calls => {
                return Err(now + self.config.open_backoff.initial);
            }
            State::HalfOpen => true,
            State::Closed => false,
        };
        self.trials += u32::from(trial);
        Ok(ModelPermit { started: now, trial, generation: self.generation })
    }

    fn record(&mut self, permit: ModelPermit, fail: bool, now: Instant) {
        let slow = self.config.slow_call.is_some_and(|limit| now - permit.started > limit);
        let fail = fail || slow;
        if permit.generation != self.generation {
            return;
        }
        if permit.trial {
            self.record_trial(fail, now);
            return;
        }
        let origin = *self.origin.get_or_insert(now);
        let width = self.config.window.as_nanos() / u128::from(self.config.window_buckets);
        self.history.push(((now - origin).as_nanos() / width, fail));
        self.fails_in_row = if fail { self.fails_in_row + 1 } else { 0 };
        if self.fails_in_row >= self.config.failure_threshold || self.rate_too_high() {
            self.trip(now);
        }
    }

    fn record_trial(&mut self, fail: bool, now: Instant) {
        self.trials -= 1;
        self.trial_successes += u32::from(!fail);
        if fail {
            self.trip(now);
        } else if self.trial_successes == self.config.success_threshold {
            self.trips_in_row = 0;
            self.enter(State::Closed);
        }
    }

    fn cancel(&mut self, permit: ModelPermit) {
        if permit.trial && permit.generation == self.generation {
            self.trials -= 1;
        }
    }

    fn rate_too_high(&self) -> bool {
        let newest = self.history.last().map_or(0, |&(bucket, _)| bucket);
        let buckets = u128::from(self.config.window_buckets);
        let recent: Vec<bool> = (self.history.iter())
            .filter(|&&(bucket, _)| bucket + buckets > newest)
            .map(|&(_, fail)| fail)
            .collect();
        let fails = recent.iter().filter(|&&fail| fail).count();
        recent.len() >= self.config.minimum_calls as usize
            && fails as f64 / recent.len() as f64 >= self.config.failure_rate_threshold
    }

    fn trip(&mut self, now: Instant) {
        let backoff = self.config.open_backoff;
        let mut open_for = backoff.initial;
        for _ in 0..self.trips_in_row {
            open_for = (open_for * 2).min(backoff.max);
        }
        self.trips_in_row += 1;
        self.trips += 1;
        self.enter(State::Open { until: now + open_for });
    }

    fn enter(&mut self, state: State) {
        self.state = state;
        self.generation += 1;
        self.fails_in_row = 0;
        self.trials = 0;
        self.trial_successes = 0;
        self.history.clear();
    }
}

/// Outstanding permits of the breaker and the model, side by side.
type Outstanding = Vec<(Permit, ModelPermit)>;

fn step_both(
    cb: &mut CircuitBreaker,
    model: &mut Model,
    out: &mut Outstanding,
    op: Op,
    now: Instant,
) {
    match op {
        Op::Advance(_) | Op::ToDeadline => {}
        Op::Admit => admit_both(cb, model, out, now),
        Op::Record { pick, fail } if !out.is_empty() => {
            let (p, m) = out.swap_remove(pick % out.len());
            cb.record(p, outcome(fail), now);
            model.record(m, fail, now);
        }
        Op::Cancel { pick } if !out.is_empty() => {
            let (p, m) = out.swap_remove(pick % out.len());
            cb.cancel(p);
            model.cancel(m);
        }
        Op::Record { .. } | Op::Cancel { .. } => {}
        Op::Timeout => {
            cb.handle_timeout(now);
            model.wake(now);
        }
    }
}

fn admit_both(cb: &mut CircuitBreaker, model: &mut Model, out: &mut Outstanding, now: Instant) {
    match (cb.admit(now), model.admit(now)) {
        (Admission::Allowed(p), Ok(m)) => {
            assert_eq!(p.is_trial(), m.trial, "trial flag");
            out.push((p, m));
        }
        (Admission::Rejected { retry_at }, Err(m)) => assert_eq!(retry_at, m, "retry_at"),
        (got, want) => panic!("admit: breaker {got:?}, model allowed = {}", want.is_ok()),
    }
}

fn outcome(fail: bool) -> Outcome {
    if fail { Outcome::Failure } else { Outcome::Success }
}

fn advance(now: &mut Instant, op: Op, cb: &CircuitBreaker) {
    match (op, cb.poll_timeout()) {
        (Op::Advance(ms), _) => *now += Duration::from_millis(ms),
        (Op::ToDeadline, Some(deadline)) => *now = deadline.max(*now),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn agrees_with_the_model(config in config(Jitter::None), ops in prop::collection::vec(op(), 1..120)) {
        let mut cb = CircuitBreaker::new(config).unwrap();
        let mut model = Model::new(config);
        let mut out = Outstanding::new();
        let mut now = Instant::now();
        for (i, &op) in ops.iter().enumerate() {
            advance(&mut now, op, &cb);
            step_both(&mut cb, &mut model, &mut out, op, now);
            prop_assert_eq!(cb.state(), model.state, "after op {} {:?}", i, op);
            prop_assert_eq!(cb.stats().trips, model.trips, "after op {} {:?}", i, op);
            let stats = cb.stats();
            let settled = stats.successes + stats.failures + stats.cancelled;
            prop_assert_eq!(stats.calls, settled + out.len() as u64);
        }
    }

    #[test]
    fn trials_and_open_durations_are_respected(
        config in config(Jitter::Full),
        ops in prop::collection::vec(op(), 1..120),
    ) {
        let mut cb = CircuitBreaker::new(config).unwrap();
        let mut out: Vec<Permit> = Vec::new();
        let mut now = Instant::now();
        for op in ops {
            advance(&mut now, op, &cb);
            match op {
                Op::Admit => {
                    let before = cb.state();
                    let admission = cb.admit(now);
                    // (b) Never admitted while Open before the open duration has passed.
                    if let State::Open { until } = before && now < until {
                        let rejected_until = matches!(admission, Admission::Rejected { retry_at } if retry_at == until);
                        prop_assert!(rejected_until, "admitted while open: {:?}", admission);
                    }
                    if let Admission::Allowed(p) = admission {
                        out.push(p);
                    }
                }
                Op::Record { pick, fail } if !out.is_empty() => {
                    let p = out.swap_remove(pick % out.len());
                    cb.record(p, outcome(fail), now);
                }
                Op::Cancel { pick } if !out.is_empty() => cb.cancel(out.swap_remove(pick % out.len())),
                Op::Timeout => cb.handle_timeout(now),
                _ => {}
            }
            // (a) Never more than N live trials in HalfOpen.
            let live = out.iter().filter(|p| p.trial && p.generation == cb.generation).count();
            prop_assert!(live <= config.half_open_max_calls as usize, "{} live trials", live);
            if let State::Open { until } = cb.state() {
                prop_assert!(until <= now + config.open_backoff.max);
                prop_assert_eq!(live, 0);
            }
        }
    }
}
