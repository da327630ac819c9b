//! The tokio driver: runs attempts, sleeps the delays, publishes states, runs callbacks.
//!
//! One [`Reconnector`] serves one logical connection. The caller's loop is
//!
//! ```text
//! loop {
//!     let conn = reconnector.connect().await?;   // waits, retries, runs on_connect/on_reconnect
//!     let cause = serve(conn).await;              // the caller's read loop, until the socket ends
//!     reconnector.disconnected(cause)?;           // runs on_disconnect, schedules the retry
//! }
//! ```
//!
//! `connect` returns only a connection or a terminal error ([`Error::Failed`],
//! [`Error::Closed`]). Each turn of its loop: sleep until the scheduled instant, ask the gate
//! (an open breaker gives `Suspended { until }` and a sleep, then one trial), take one retry
//! from the budget (empty: `Reconnecting` with the budget's wait, then a sleep), call the
//! connect function under `connect_timeout`, and report the outcome to the gate and budget.
//!
//! `connect` is cancel-safe: dropping it (say in a `select!` with a shutdown signal) gives the
//! breaker permit back, and the next call resumes the same schedule. Calling `connect` while a
//! connection is up counts that connection as lost with [`DisconnectCause::Unexpected`].

use std::fmt::Display;
use std::time::{Duration, Instant};

use circuit_breaker::{CircuitBreaker, Outcome};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use tokio::sync::watch;
use tokio::time;

use crate::budget::RetryBudget;
use crate::callbacks::{CallbackContext, CallbackError, Callbacks, Criticality, Hook};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::gate::Gate;
use crate::policy::{DisconnectCause, Policy};
use crate::state::ConnState;
use crate::stats::Stats;

mod steps;

use self::steps::PermitGuard;

type OpenHook = Box<dyn FnMut(Instant) + Send>;

/// Drives reconnection of one logical connection over a caller-given connect function.
pub struct Reconnector<F, G = CircuitBreaker> {
    connect: F,
    gate: G,
    policy: Policy,
    budget: RetryBudget,
    connect_timeout: Option<Duration>,
    rng: SmallRng,
    callbacks: Callbacks,
    on_open: Option<OpenHook>,
    stats: Stats,
    state: watch::Sender<ConnState>,
    connected: bool,
    cycle: Option<Cycle>,
    wait_until: Option<Instant>,
    terminal: Option<Error>,
}

/// The retries since the connection was lost (or since a failed first attempt).
struct Cycle {
    cause: Option<DisconnectCause>,
    attempt: u32,
    made: u32,
    started: Instant,
    last_error: String,
}

impl<F> Reconnector<F, CircuitBreaker> {
    /// A reconnector guarded by a [`CircuitBreaker`] built from `config.breaker`.
    pub fn new(config: Config, connect: F) -> Result<Self> {
        let breaker = CircuitBreaker::new(config.breaker)?;
        Self::with_gate(config, breaker, connect)
    }
}

impl<F, G: Gate> Reconnector<F, G> {
    /// A reconnector guarded by `gate`, after validating `config`. The state starts as
    /// [`ConnState::Connecting`]; nothing runs before [`Self::connect`].
    pub fn with_gate(config: Config, gate: G, connect: F) -> Result<Self> {
        config.validate()?;
        Ok(Self {
            connect,
            gate,
            policy: config.policy,
            budget: RetryBudget::new(config.budget)?,
            connect_timeout: config.connect_timeout,
            rng: SmallRng::seed_from_u64(config.seed_or_random()),
            callbacks: Callbacks::default(),
            on_open: None,
            stats: Stats::default(),
            state: watch::Sender::new(ConnState::Connecting),
            connected: false,
            cycle: None,
            wait_until: None,
            terminal: None,
        })
    }

    /// Registers a callback run after every successful connection.
    pub fn on_connect<H>(self, name: &str, criticality: Criticality, callback: H) -> Self
    where
        H: FnMut(&CallbackContext) -> Result<(), CallbackError> + Send + 'static,
    {
        self.register(Hook::Connect, name, criticality, callback)
    }

    /// Registers a callback run when the caller reports a lost connection.
    pub fn on_disconnect<H>(self, name: &str, criticality: Criticality, callback: H) -> Self
    where
        H: FnMut(&CallbackContext) -> Result<(), CallbackError> + Send + 'static,
    {
        self.register(Hook::Disconnect, name, criticality, callback)
    }

    /// Registers a callback run after a successful connection that follows a lost one.
    pub fn on_reconnect<H>(self, name: &str, criticality: Criticality, callback: H) -> Self
    where
        H: FnMut(&CallbackContext) -> Result<(), CallbackError> + Send + 'static,
    {
        self.register(Hook::Reconnect, name, criticality, callback)
    }

    /// Sets the fallback run each time the gate opens, with the end of the open duration;
    /// typically `move |_| { endpoints.rotate(); }`. A panic in it is caught and logged.
    pub fn on_breaker_open(mut self, hook: impl FnMut(Instant) + Send + 'static) -> Self {
        self.on_open = Some(Box::new(hook));
        self
    }

    /// A receiver that always holds the latest state.
    pub fn subscribe(&self) -> watch::Receiver<ConnState> {
        self.state.subscribe()
    }

    /// The current state.
    pub fn state(&self) -> ConnState {
        self.state.borrow().clone()
    }

    /// The counters so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The gate (the circuit breaker, for [`Reconnector::new`]).
    pub fn gate(&self) -> &G {
        &self.gate
    }

    /// The retry budget.
    pub fn budget(&self) -> &RetryBudget {
        &self.budget
    }

    /// When the next attempt is scheduled, if one is waiting.
    pub fn next_attempt_at(&self) -> Option<Instant> {
        self.wait_until
    }

    /// Reports that the connection returned by [`Self::connect`] ended for `cause`: runs the
    /// `on_disconnect` callbacks and schedules the first retry (the state becomes
    /// `Reconnecting`). Does nothing when no connection is up. Errs when reconnection has
    /// stopped, for example because a critical `on_disconnect` callback failed.
    pub fn disconnected(&mut self, cause: DisconnectCause) -> Result<()> {
        self.check()?;
        if !self.connected {
            return Ok(());
        }
        let now = clock();
        self.connected = false;
        self.cycle = Some(Cycle {
            cause: Some(cause),
            attempt: 0,
            made: 0,
            started: now,
            last_error: "connection lost".to_owned(),
        });
        self.run_hook(Hook::Disconnect, 0, Some(cause))?;
        self.schedule(now, None);
        self.check()
    }

    /// Stops for good: the state becomes [`ConnState::Closed`] (unless already `Failed`) and
    /// every later call returns [`Error::Closed`].
    pub fn close(&mut self) {
        if self.terminal.is_none() {
            self.terminal = Some(Error::Closed);
            self.state.send_replace(ConnState::Closed);
        }
        self.connected = false;
        self.cycle = None;
        self.wait_until = None;
    }

    fn register<H>(mut self, hook: Hook, name: &str, criticality: Criticality, f: H) -> Self
    where
        H: FnMut(&CallbackContext) -> Result<(), CallbackError> + Send + 'static,
    {
        self.callbacks.register(hook, name, criticality, f);
        self
    }

    fn check(&self) -> Result<()> {
        self.terminal.clone().map_or(Ok(()), Err)
    }

    fn publish(&self, state: ConnState) {
        tracing::debug!(?state, "reconnect state");
        self.state.send_replace(state);
    }
}

impl<F, Fut, C, E, G> Reconnector<F, G>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<C, E>>,
    E: Display,
    G: Gate,
{
    /// Returns a live connection, waiting and retrying as the policy, the budget and the gate
    /// allow, or the terminal error. See the module docs for the loop around it.
    pub async fn connect(&mut self) -> Result<C> {
        if self.connected {
            self.disconnected(DisconnectCause::Unexpected)?;
        }
        loop {
            self.check()?;
            if let Some(at) = self.wait_until {
                time::sleep_until(time::Instant::from_std(at)).await;
                self.wait_until = None;
            }
            let Some(permit) = self.admit(clock()) else {
                continue;
            };
            match self.attempt(permit).await {
                (Ok(conn), _) => return self.succeeded(clock()).map(|()| conn),
                (Err(error), open_until) => self.failed(error, open_until, clock()),
            }
        }
    }

    /// Runs one attempt under the timeout and reports its outcome to the gate.
    async fn attempt(&mut self, permit: G::Permit) -> (Result<C, String>, Option<Instant>) {
        let guard = PermitGuard { gate: &mut self.gate, permit: Some(permit) };
        let attempt = (self.connect)();
        let result = match self.connect_timeout {
            None => attempt.await.map_err(|e| e.to_string()),
            Some(limit) => match time::timeout(limit, attempt).await {
                Ok(result) => result.map_err(|e| e.to_string()),
                Err(_) => Err(format!("connect timed out after {limit:?}")),
            },
        };
        let outcome = match result {
            Ok(_) => Outcome::Success,
            Err(_) => Outcome::Failure,
        };
        let open_until = guard.record(outcome, clock());
        (result, open_until)
    }
}

/// The driver's clock: tokio's, so that paused-time tests control it.
fn clock() -> Instant {
    time::Instant::now().into_std()
}
