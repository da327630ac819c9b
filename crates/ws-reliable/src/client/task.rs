//! The client's driver task: runs the session over a connection, and when the connection
//! drops, reconnects with backoff and resumes.

use std::sync::Arc;
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::SmallRng;
use tokio::sync::watch;
use ws_proto::{LostReason, Phase, Resume, Welcome};

use crate::client::connect::{self, Ws};
use crate::client::control::ClientControl;
use crate::client::{ClientConfig, ConnState, TokenProvider};
use crate::conn::{self, End};
use crate::error::Error;
use crate::shared::{Shared, now};
use crate::sync::StateCache;

/// What the driver needs besides the session.
pub(crate) struct Context {
    pub(crate) url: String,
    pub(crate) config: ClientConfig,
    pub(crate) tokens: Option<TokenProvider>,
    pub(crate) welcome: Welcome,
    pub(crate) state: watch::Sender<ConnState>,
    pub(crate) stop: watch::Receiver<bool>,
    pub(crate) cache: Arc<StateCache>,
}

/// Drives the session until it ends or the client stops.
pub(crate) async fn run(ws: Ws, shared: Arc<Shared>, mut ctx: Context) {
    let control = ClientControl {
        tokens: ctx.tokens.clone(),
        state: Arc::clone(&ctx.cache),
    };
    let mut ws = Some(ws);
    while let Some(current) = ws.take() {
        ctx.state.send_replace(ConnState::Connected);
        let mut stop = ctx.stop.clone();
        let stopped = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        let end = conn::run(current, &shared, ctx.config.codec, &control, stopped).await;
        tracing::debug!(?end, "client connection ended");
        match end {
            End::Ended | End::Interrupted(_) => break,
            _ => ws = reconnect(&shared, &mut ctx).await,
        }
    }
    let final_state = match shared.with(|m| m.phase()) {
        Phase::Ended(LostReason::Closed) => ConnState::Closed,
        Phase::Ended(reason) => ConnState::Failed {
            reason: format!("session lost: {reason:?}"),
        },
        _ => ConnState::Closed,
    };
    ctx.state.send_replace(final_state);
    ctx.cache.fail_pending();
    shared.wake_app();
}

/// Tries until a connection resumes the session, the session is lost, or the client stops.
async fn reconnect(shared: &Arc<Shared>, ctx: &mut Context) -> Option<Ws> {
    let mut rng = SmallRng::from_rng(&mut rand::rng());
    for attempt in 0u32.. {
        let delay = if attempt == 0 {
            Duration::ZERO
        } else {
            ctx.config.reconnect.delay(attempt - 1, &mut rng)
        };
        ctx.state
            .send_replace(ConnState::Reconnecting { attempt, delay });
        if !pause(shared, ctx, delay).await {
            return None;
        }
        let resume = Resume {
            session: ctx.welcome.session.clone(),
            token: ctx.welcome.token.clone(),
            last_received: shared.with(|m| m.last_received()),
        };
        match attempt_once(shared, ctx, resume).await {
            Ok(ws) => return Some(ws),
            Err(Some(reason)) => return lose(shared, reason),
            Err(None) => continue,
        }
    }
    None
}

/// One attempt: `Err(Some(reason))` when the session cannot continue, `Err(None)` to retry.
async fn attempt_once(
    shared: &Arc<Shared>,
    ctx: &Context,
    resume: Resume,
) -> Result<Ws, Option<LostReason>> {
    let token = match &ctx.tokens {
        Some(tokens) => tokens().await,
        None => None,
    };
    match connect::connect(&ctx.url, &ctx.config, token.as_deref(), Some(resume)).await {
        Ok((ws, welcome)) => match shared.with(|m| m.attach(welcome.last_received, now())) {
            Ok(()) => Ok(ws),
            Err(_) => Err(Some(LostReason::ProtocolViolation)),
        },
        Err(Error::SessionLost(reason)) => Err(Some(reason)),
        Err(Error::Rejected {
            status: 401 | 403, ..
        }) => Err(Some(LostReason::Unauthorized)),
        Err(e) => {
            tracing::debug!(error = %e, "reconnect attempt failed");
            Err(None)
        }
    }
}

/// Waits `delay`, watching for a stop and for the resume window to end. `false` to give up.
async fn pause(shared: &Arc<Shared>, ctx: &mut Context, delay: Duration) -> bool {
    let sleep = tokio::time::sleep(delay);
    tokio::pin!(sleep);
    loop {
        shared.with(|m| m.handle_timeout(now()));
        let Some(deadline) = shared.with(|m| m.poll_timeout()) else {
            return false;
        };
        tokio::select! {
            () = &mut sleep => return true,
            () = tokio::time::sleep_until(deadline.into()) => {}
            _ = ctx.stop.wait_for(|s| *s) => return false,
        }
    }
}

fn lose(shared: &Arc<Shared>, reason: LostReason) -> Option<Ws> {
    shared.with(|m| m.lose(reason));
    shared.wake_app();
    None
}
