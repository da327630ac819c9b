//! What the reconnect driver calls for every attempt: fetch a token, connect, resume.

use std::sync::Arc;

use parking_lot::Mutex;
use ws_proto::{LostReason, Resume, Welcome};

use crate::client::connect::{self, Ws};
use crate::client::{ClientConfig, TokenProvider};
use crate::error::Error;
use crate::shared::{Shared, now};

/// The outcome of an attempt that reached the server.
pub(crate) enum Attempt {
    /// The session resumed over this connection.
    Resumed(Box<Ws>),
    /// The server will not resume the session: it is lost for this reason.
    Lost(LostReason),
}

/// Dials the server and resumes the session.
pub(crate) struct Dialer {
    pub(crate) url: String,
    pub(crate) config: ClientConfig,
    pub(crate) tokens: Option<TokenProvider>,
    pub(crate) welcome: Welcome,
    pub(crate) shared: Arc<Shared>,
    /// The connection made by `ClientBuilder::connect`, handed out by the first attempt.
    pub(crate) first: Mutex<Option<Ws>>,
}

impl Dialer {
    /// One attempt. `Err` is retryable (network, timeout, server busy); a definitive refusal
    /// is `Ok(Attempt::Lost)`, so that the driver stops instead of retrying.
    pub(crate) async fn dial(self: Arc<Self>) -> Result<Attempt, Error> {
        if let Some(ws) = self.first.lock().take() {
            return Ok(Attempt::Resumed(Box::new(ws)));
        }
        let token = match &self.tokens {
            Some(tokens) => tokens().await,
            None => None,
        };
        let resume = Resume {
            session: self.welcome.session.clone(),
            token: self.welcome.token.clone(),
            last_received: self.shared.with(|m| m.last_received()),
        };
        let outcome =
            connect::connect(&self.url, &self.config, token.as_deref(), Some(resume)).await;
        classify(outcome, &self.shared)
    }
}

fn classify(outcome: Result<(Ws, Welcome), Error>, shared: &Shared) -> Result<Attempt, Error> {
    match outcome {
        Ok((ws, welcome)) => match shared.with(|m| m.attach(welcome.last_received, now())) {
            Ok(()) => Ok(Attempt::Resumed(Box::new(ws))),
            Err(_) => Ok(Attempt::Lost(LostReason::ProtocolViolation)),
        },
        Err(Error::SessionLost(reason)) => Ok(Attempt::Lost(reason)),
        Err(Error::Rejected { status: 401 | 403, .. }) => {
            Ok(Attempt::Lost(LostReason::Unauthorized))
        }
        Err(e) => Err(e),
    }
}
