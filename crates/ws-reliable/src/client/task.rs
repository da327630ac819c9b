//! The client's driver task: carries the session over each connection the reconnect driver
//! (backoff, retry budget, circuit breaker) hands it, until the session ends.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use reconnect::{DisconnectCause, Reconnector};
use tokio::sync::watch;
use ws_proto::{LostReason, Phase};

use crate::client::ConnState;
use crate::client::connect::Ws;
use crate::client::control::ClientControl;
use crate::client::dialer::{Attempt, Dialer};
use crate::conn::{self, End};
use crate::error::Error;
use crate::shared::{Shared, now};
use crate::sync::StateCache;

type DialFuture = Pin<Box<dyn Future<Output = Result<Attempt, Error>> + Send>>;
type Driver = Reconnector<Box<dyn FnMut() -> DialFuture + Send>>;

/// What the task needs besides the dialer.
pub(crate) struct Context {
    pub(crate) state: watch::Sender<ConnState>,
    pub(crate) stop: watch::Receiver<bool>,
    pub(crate) cache: Arc<StateCache>,
}

/// Drives the session until it ends or the client stops.
pub(crate) async fn run(dialer: Arc<Dialer>, mut ctx: Context) {
    let shared = Arc::clone(&dialer.shared);
    let control = ClientControl { tokens: dialer.tokens.clone(), state: Arc::clone(&ctx.cache) };
    let Ok(mut driver) = driver(&dialer) else { return finish(&shared, &ctx) };
    tokio::spawn(forward(driver.subscribe(), ctx.state.clone()));
    while let Some(ws) = next(&mut driver, &shared, &mut ctx).await {
        let mut stop = ctx.stop.clone();
        let stopped = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        let end = conn::run(ws, &shared, dialer.config.codec, &control, stopped).await;
        tracing::debug!(?end, "client connection ended");
        let cause = match end {
            End::Ended | End::Interrupted(_) => break,
            End::PeerClosed(Some(code)) => DisconnectCause::from_close_code(code),
            _ => DisconnectCause::Unexpected,
        };
        if driver.disconnected(cause).is_err() {
            break;
        }
    }
    driver.close();
    finish(&shared, &ctx);
}

fn driver(dialer: &Arc<Dialer>) -> reconnect::Result<Driver> {
    let config = dialer.config.reconnect;
    let dialer = Arc::clone(dialer);
    let dial: Box<dyn FnMut() -> DialFuture + Send> =
        Box::new(move || Box::pin(Arc::clone(&dialer).dial()));
    Reconnector::new(config, dial)
}

/// The next connection, or `None` when the session is over (lost, expired, or stopped).
async fn next(driver: &mut Driver, shared: &Arc<Shared>, ctx: &mut Context) -> Option<Ws> {
    let outcome = tokio::select! {
        outcome = driver.connect() => outcome,
        reason = expiry(shared) => return lose(shared, reason),
        _ = ctx.stop.wait_for(|s| *s) => return None,
    };
    match outcome {
        Ok(Attempt::Resumed(ws)) => Some(*ws),
        Ok(Attempt::Lost(reason)) => lose(shared, reason),
        Err(e) => {
            // A critical callback failed or the policy gave up: the application is told.
            tracing::warn!(error = %e, "reconnection stopped");
            lose(shared, LostReason::Expired)
        }
    }
}

/// Resolves when the detached session's resume window has ended.
async fn expiry(shared: &Arc<Shared>) -> LostReason {
    loop {
        shared.with(|m| m.handle_timeout(now()));
        match shared.with(|m| (m.phase(), m.poll_timeout())) {
            (Phase::Ended(reason), _) => return reason,
            (_, Some(at)) => tokio::time::sleep_until(at.into()).await,
            (_, None) => std::future::pending::<()>().await,
        }
    }
}

fn lose(shared: &Arc<Shared>, reason: LostReason) -> Option<Ws> {
    shared.with(|m| m.lose(reason));
    shared.wake_app();
    None
}

/// Mirrors the reconnect driver's states into the client's, never past a final state.
async fn forward(mut rx: watch::Receiver<reconnect::ConnState>, tx: watch::Sender<ConnState>) {
    loop {
        let next = match &*rx.borrow_and_update() {
            reconnect::ConnState::Connecting => Some(ConnState::Connecting),
            reconnect::ConnState::Connected => Some(ConnState::Connected),
            reconnect::ConnState::Reconnecting { attempt, delay } => {
                Some(ConnState::Reconnecting { attempt: *attempt, delay: *delay })
            }
            reconnect::ConnState::Suspended { until } => {
                Some(ConnState::Suspended { until: *until })
            }
            _ => None,
        };
        if let Some(next) = next {
            tx.send_if_modified(|s| !s.is_final() && std::mem::replace(s, next.clone()) != next);
        }
        if rx.changed().await.is_err() {
            return;
        }
    }
}

fn finish(shared: &Arc<Shared>, ctx: &Context) {
    let final_state = match shared.with(|m| m.phase()) {
        Phase::Ended(LostReason::Closed) | Phase::Attached | Phase::Detached(_) => {
            ConnState::Closed
        }
        Phase::Ended(reason) => ConnState::Failed { reason: format!("session lost: {reason:?}") },
    };
    ctx.state.send_replace(final_state);
    ctx.cache.fail_pending();
    shared.wake_app();
}
