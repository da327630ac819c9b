//! The driver's steps between awaits: admission, outcomes, scheduling, callbacks.
//!
//! Everything here is synchronous and takes `now`; `driver.rs` only sleeps and awaits.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use circuit_breaker::Outcome;

use super::{Cycle, Reconnector};
use crate::callbacks::{CallbackContext, Criticality, Hook};
use crate::error::Error;
use crate::error::Result;
use crate::gate::Gate;
use crate::policy::DisconnectCause;
use crate::state::{ConnState, FailReason};

/// The shortest wait on a refusing gate.
const MIN_GATE_WAIT: Duration = Duration::from_millis(1);

/// Cancels the permit if the attempt is dropped before its outcome is recorded.
pub(super) struct PermitGuard<'a, G: Gate> {
    pub(super) gate: &'a mut G,
    pub(super) permit: Option<G::Permit>,
}

impl<F, G: Gate> Reconnector<F, G> {
    /// Asks the gate and the budget for one attempt at `now`; on refusal schedules the wait.
    pub(super) fn admit(&mut self, now: Instant) -> Option<G::Permit> {
        let permit = match self.gate.admit(now) {
            Ok(permit) => permit,
            Err(until) => {
                self.suspend(until, now);
                return None;
            }
        };
        if let Some(cycle) = &mut self.cycle {
            if !self.budget.withdraw(now) {
                let attempt = cycle.attempt;
                self.gate.cancel(permit);
                self.wait_for_budget(attempt, now);
                return None;
            }
            cycle.made = cycle.made.saturating_add(1);
            if matches!(*self.state.borrow(), ConnState::Suspended { .. }) {
                let (attempt, delay) = (cycle.attempt, Duration::ZERO);
                self.publish(ConnState::Reconnecting { attempt, delay });
            }
        }
        self.stats.attempts += 1;
        Some(permit)
    }

    /// The budget is empty: wait, showing the wait as the retry's delay, rather than try.
    fn wait_for_budget(&mut self, attempt: u32, now: Instant) {
        let at = self.budget.retry_at(now);
        self.stats.budget_exhaustions += 1;
        self.wait_until = Some(at);
        let delay = at.saturating_duration_since(now);
        tracing::debug!(?delay, "retry budget exhausted");
        self.publish(ConnState::Reconnecting { attempt, delay });
    }

    /// Waits for the gate. A gate that names an instant already past (or a zero open
    /// duration) still gets a minimal wait, so the loop cannot spin.
    fn suspend(&mut self, until: Instant, now: Instant) {
        if !matches!(*self.state.borrow(), ConnState::Suspended { .. }) {
            self.stats.suspensions += 1;
        }
        self.wait_until = Some(until.max(now + MIN_GATE_WAIT));
        self.publish(ConnState::Suspended { until });
    }

    pub(super) fn succeeded(&mut self, now: Instant) -> Result<()> {
        self.stats.successes += 1;
        self.budget.deposit(now);
        let cycle = self.cycle.take();
        self.connected = true;
        self.wait_until = None;
        self.publish(ConnState::Connected);
        let attempts = cycle.as_ref().map_or(1, |c| c.made);
        let cause = cycle.and_then(|c| c.cause);
        self.run_hook(Hook::Connect, attempts, cause)?;
        if cause.is_some() {
            self.run_hook(Hook::Reconnect, attempts, cause)?;
        }
        Ok(())
    }

    pub(super) fn failed(&mut self, error: String, open_until: Option<Instant>, now: Instant) {
        self.stats.failures += 1;
        tracing::debug!(%error, "connection attempt failed");
        match &mut self.cycle {
            Some(cycle) => {
                cycle.attempt = cycle.attempt.saturating_add(1);
                cycle.last_error = error;
            }
            None => {
                self.cycle = Some(Cycle {
                    cause: None,
                    attempt: self.policy.first_retry_after_initial_failure(),
                    made: 1,
                    started: now,
                    last_error: error,
                });
            }
        }
        self.schedule(now, open_until);
    }

    /// Asks the policy for the next delay (or gives up), then waits it, or suspends when the
    /// gate has just opened.
    pub(super) fn schedule(&mut self, now: Instant, open_until: Option<Instant>) {
        let Some(cycle) = &self.cycle else { return };
        let (attempt, made) = (cycle.attempt, cycle.made);
        let cause = cycle.cause.unwrap_or(DisconnectCause::Unexpected);
        let elapsed = now.saturating_duration_since(cycle.started);
        let Some(delay) = self.policy.next_delay(attempt, cause, elapsed, &mut self.rng) else {
            let last_error = cycle.last_error.clone();
            return self.fail(FailReason::GaveUp { attempts: made, last_error });
        };
        if let Some(until) = open_until {
            self.run_open_hook(until);
            return self.suspend(until, now);
        }
        self.wait_until = Some(now + delay);
        self.publish(ConnState::Reconnecting { attempt, delay });
    }

    fn run_open_hook(&mut self, until: Instant) {
        let Some(hook) = &mut self.on_open else {
            return;
        };
        if catch_unwind(AssertUnwindSafe(|| hook(until))).is_err() {
            tracing::warn!("on_breaker_open fallback panicked");
        }
    }

    pub(super) fn run_hook(
        &mut self,
        hook: Hook,
        attempts: u32,
        cause: Option<DisconnectCause>,
    ) -> Result<()> {
        let context = CallbackContext { hook, attempts, cause };
        for failure in self.callbacks.run(&context) {
            let (name, message) = (failure.name, failure.message);
            if failure.criticality == Criticality::NonCritical {
                self.stats.non_critical_callback_failures += 1;
                tracing::warn!(%hook, %name, %message, "non-critical callback failed");
                continue;
            }
            self.stats.critical_callback_failures += 1;
            self.fail(FailReason::CriticalCallback { hook, name, message });
        }
        self.check()
    }

    fn fail(&mut self, reason: FailReason) {
        tracing::warn!(%reason, "reconnection stopped");
        self.terminal = Some(Error::Failed(reason.clone()));
        self.connected = false;
        self.wait_until = None;
        self.publish(ConnState::Failed { reason });
    }
}

impl<G: Gate> PermitGuard<'_, G> {
    pub(super) fn record(mut self, outcome: Outcome, now: Instant) -> Option<Instant> {
        let permit = self.permit.take()?;
        self.gate.record(permit, outcome, now)
    }
}

impl<G: Gate> Drop for PermitGuard<'_, G> {
    fn drop(&mut self) {
        if let Some(permit) = self.permit.take() {
            self.gate.cancel(permit);
        }
    }
}
