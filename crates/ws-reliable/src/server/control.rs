//! The server's per-connection control: credential expiry and refresh.
//!
//! When a credential carries an expiry, the server sends a `refresh_request` `refresh_lead`
//! before it, and closes the connection with code 4007 (`AuthExpired`) when `refresh_grace`
//! has passed after it without a valid `refresh`. A refresh travels beside the data and
//! never touches the session's sequence numbers, so it cannot lose or repeat a message.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant, SystemTime};

use parking_lot::Mutex;
use ws_proto::{Data, ErrorCode, Frame, Refresh, RefreshRequest};

use crate::auth::{Authenticator, Credentials, Principal};
use crate::conn::Control;
use crate::server::budget::gate::Account;
use crate::server::conns::Tracked;
use crate::server::state::ServerState;
use crate::shared::{Shared, now};
use crate::sync::StateHub;

#[derive(Debug)]
struct Expiry {
    at: Option<Instant>,
    /// The credential's wall-clock expiry: a refresh must move it later.
    until: Option<SystemTime>,
    requested: bool,
}

/// Control for one server-side connection.
pub(crate) struct ServerControl {
    expiry: Mutex<Expiry>,
    subject: String,
    auth: Arc<dyn Authenticator>,
    hub: Option<Arc<StateHub>>,
    metrics: Option<ws_metrics::Metrics>,
    limiter: Option<governor::DefaultDirectRateLimiter>,
    lead: Duration,
    grace: Duration,
    /// The connection's place in the server's registry (`conn-state`).
    tracked: Tracked,
    /// The connection's reservations on the memory budget.
    account: Option<Arc<Account>>,
    this: Weak<ServerControl>,
}

impl ServerControl {
    pub(crate) fn new(
        principal: &Principal,
        state: &ServerState,
        account: Option<Arc<Account>>,
    ) -> Arc<Self> {
        let at = principal.expires_at.map(to_instant);
        Arc::new_cyclic(|this| Self {
            expiry: Mutex::new(Expiry { at, until: principal.expires_at, requested: false }),
            subject: principal.subject.clone(),
            auth: Arc::clone(&state.auth),
            hub: state.config.state_sync.then(|| Arc::clone(&state.hub)),
            metrics: state.metrics.clone(),
            limiter: state
                .config
                .max_messages_per_second
                .map(|rate| governor::RateLimiter::direct(governor::Quota::per_second(rate))),
            lead: state.config.refresh_lead,
            grace: state.config.refresh_grace,
            tracked: state.registry.open(),
            account,
            this: this.clone(),
        })
    }

    /// The connection now carries `session` (its reads keep it alive while they wait for
    /// memory-budget room).
    pub(crate) fn carries(&self, session: &Arc<Shared>) {
        self.account.as_ref().inspect(|account| account.carries(session));
    }

    /// Resolves when the registry's sweeper force-closes this connection (a ghost).
    pub(crate) async fn killed(&self) {
        self.tracked.killed().await;
    }

    /// A refresh arrived: check it off the connection's task, then move the expiry.
    fn refresh(&self, token: String, shared: &Arc<Shared>) {
        let Some(this) = self.this.upgrade() else {
            return;
        };
        let wake = Arc::clone(shared);
        tokio::spawn(async move {
            let outcome = this.auth.authenticate(&Credentials::token(token)).await;
            match outcome {
                Ok(p) if p.subject == this.subject => this.extend(p.expires_at),
                Ok(_) | Err(_) => tracing::warn!(subject = %this.subject, "token refresh rejected"),
            }
            wake.wake_conn();
        });
    }

    /// Moves the expiry, but only to a later time still ahead: the same (or an older)
    /// credential presented again would otherwise be asked for again at once, in a tight
    /// loop, and keep the connection open past its expiry for as long as the authenticator's
    /// leeway accepts it.
    fn extend(&self, until: Option<SystemTime>) {
        let mut expiry = self.expiry.lock();
        let later = match (until, expiry.until) {
            (None, _) => true,
            (Some(new), old) => new > SystemTime::now() && old.is_none_or(|old| new > old),
        };
        if later {
            expiry.at = until.map(to_instant);
            expiry.until = until;
            expiry.requested = false;
        } else {
            tracing::warn!(subject = %self.subject, "token refresh does not extend the credential");
        }
    }
}

impl Control for ServerControl {
    fn on_frame(&self, frame: Frame, shared: &Arc<Shared>) -> Result<(), ws_proto::Error> {
        match frame {
            Frame::Refresh(Refresh { token }) => {
                self.refresh(token, shared);
                Ok(())
            }
            _ => Err(ws_proto::Error::Unexpected("frame not allowed from a client")),
        }
    }

    fn on_state(&self, data: &Data, shared: &Arc<Shared>) -> Result<(), ws_proto::Error> {
        let Some(hub) = &self.hub else {
            return Err(ws_proto::Error::Unexpected("state sync is disabled on this server"));
        };
        hub.on_frame(&self.subject, shared, crate::sync::decode(data)?);
        Ok(())
    }

    fn admit(&self) -> bool {
        self.limiter.as_ref().is_none_or(|limiter| limiter.check().is_ok())
    }

    fn metrics(&self) -> Option<&ws_metrics::Metrics> {
        self.metrics.as_ref()
    }

    fn delivered(&self, len: usize) {
        self.account.as_ref().inspect(|account| account.delivered(len));
    }

    fn alive(&self, now: Instant) {
        self.tracked.touch(now);
    }

    fn closing(&self) {
        self.tracked.closing();
    }

    fn poll_timeout(&self) -> Option<Instant> {
        let expiry = self.expiry.lock();
        let at = expiry.at?;
        Some(if expiry.requested {
            at + self.grace
        } else {
            at.checked_sub(self.lead).unwrap_or(at)
        })
    }

    fn handle_timeout(&self, now: Instant, shared: &Arc<Shared>) -> Option<(ErrorCode, String)> {
        let mut expiry = self.expiry.lock();
        let at = expiry.at?;
        if expiry.requested && now >= at + self.grace {
            return Some((ErrorCode::AuthExpired, "credential expired without refresh".to_owned()));
        }
        if !expiry.requested && now + self.lead >= at {
            expiry.requested = true;
            let deadline_ms = (at + self.grace).saturating_duration_since(now).as_millis();
            let request =
                RefreshRequest { deadline_ms: u64::try_from(deadline_ms).unwrap_or(u64::MAX) };
            shared.with(|m| m.queue_control(Frame::RefreshRequest(request)));
        }
        None
    }
}

/// Maps a wall-clock expiry onto the monotonic clock the drivers use.
fn to_instant(at: SystemTime) -> Instant {
    let left = at.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO);
    now() + left
}
