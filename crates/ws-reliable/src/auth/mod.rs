//! Authentication at the HTTP upgrade: credentials are checked before any WebSocket exists,
//! and a rejection is an HTTP 401 or 403 with a body that says why.

use std::time::SystemTime;

use async_trait::async_trait;

mod jwt;
pub use jwt::{DEFAULT_LEEWAY, Jwt};
#[cfg(test)]
mod tests;

/// What a client presented at the upgrade.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Credentials {
    /// The bearer token: from `Authorization: Bearer …`, else the `access_token` query
    /// parameter, else a `bearer.<token>` WebSocket subprotocol (browsers cannot set headers).
    pub token: Option<String>,
    /// The `Origin` header, if any.
    pub origin: Option<String>,
    /// A [`Principal`] the application's own middleware put in the upgrade request's
    /// extensions (the server mounted in an app, see [`FromExtensions`]); `None` otherwise,
    /// and always at a token refresh.
    pub principal: Option<Principal>,
}

impl Credentials {
    /// Credentials carrying just a token (a refresh on a live connection).
    pub fn token(token: impl Into<String>) -> Self {
        Self { token: Some(token.into()), origin: None, principal: None }
    }
}

/// Who a connection belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Principal {
    /// The subject (user id). A session can only be resumed by the subject that created it.
    pub subject: String,
    /// When the credential expires; the server asks for a refresh before then.
    pub expires_at: Option<SystemTime>,
}

impl Principal {
    /// A principal that never expires.
    pub fn new(subject: impl Into<String>) -> Self {
        Self { subject: subject.into(), expires_at: None }
    }

    /// Sets the expiry.
    pub fn expires_at(mut self, at: SystemTime) -> Self {
        self.expires_at = Some(at);
        self
    }
}

/// A refusal, answered as HTTP `status` with `reason` as the body.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("HTTP {status}: {reason}")]
pub struct AuthError {
    /// 401 for missing or invalid credentials, 403 for valid ones without access.
    pub status: u16,
    /// Why, for the client's developer.
    pub reason: String,
}

impl AuthError {
    /// A 401 Unauthorized.
    pub fn unauthorized(reason: impl Into<String>) -> Self {
        Self { status: 401, reason: reason.into() }
    }

    /// A 403 Forbidden.
    pub fn forbidden(reason: impl Into<String>) -> Self {
        Self { status: 403, reason: reason.into() }
    }
}

/// Checks credentials. Called at every upgrade and at every token refresh.
#[async_trait]
pub trait Authenticator: Send + Sync + 'static {
    /// The principal the credentials prove, or why not.
    async fn authenticate(&self, credentials: &Credentials) -> Result<Principal, AuthError>;
}

/// Accepts everyone as subject `anonymous`. The default: authentication is opt-in.
#[derive(Clone, Copy, Debug, Default)]
pub struct AllowAll;

#[async_trait]
impl Authenticator for AllowAll {
    async fn authenticate(&self, _: &Credentials) -> Result<Principal, AuthError> {
        Ok(Principal::new("anonymous"))
    }
}

/// Trusts the [`Principal`] that the application's own middleware inserted in the upgrade
/// request's extensions (`request.extensions_mut().insert(principal)`), for a server mounted
/// in an app that authenticates with its own extractors. Without one: 401.
///
/// Only for a mounted server: a standalone listener has no middleware to set it, and a token
/// refresh carries no extensions, so give such principals no expiry.
#[derive(Clone, Copy, Debug, Default)]
pub struct FromExtensions;

#[async_trait]
impl Authenticator for FromExtensions {
    async fn authenticate(&self, credentials: &Credentials) -> Result<Principal, AuthError> {
        credentials
            .principal
            .clone()
            .ok_or_else(|| AuthError::unauthorized("no principal set by the application"))
    }
}
