//! Listeners: what observes each committed update, and how much their failure matters.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::Version;

/// How much a listener's failure matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Criticality {
    /// The application cannot continue correctly if this listener misses an update
    /// (persistence, replication, an audit log): its failure puts the synchronizer in
    /// `Health::Error` and refuses further updates until `recover()`.
    Critical,
    /// Best effort (a cache, a metrics feed): its failure is counted and reported as
    /// `Health::Degraded`, and the other listeners are unaffected.
    NonCritical,
}

/// Observes every committed update.
///
/// Listeners of one round run concurrently on the calling task, each under the
/// synchronizer's timeout, with panics caught. A listener that blocks its thread instead of
/// awaiting cannot be timed out; move blocking work to `spawn_blocking`.
#[async_trait]
pub trait Listener<D>: Send + Sync {
    /// Called once per committed update, in version order.
    async fn on_update(&self, version: Version, delta: &D) -> Result<(), ListenerError>;
}

/// A listener's own report of failure.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ListenerError(String);

/// A [`Listener`] made from a closure; see [`from_fn`].
pub struct FnListener<F, D> {
    f: F,
    _delta: PhantomData<fn(D)>,
}

impl ListenerError {
    /// An error with a message.
    pub fn new(message: impl fmt::Display) -> Self {
        Self(message.to_string())
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.0
    }
}

/// A listener from a closure that receives the version and its own clone of the delta.
///
/// ```
/// use state_sync::{ListenerError, listener::from_fn};
///
/// let audit = from_fn(|version, delta: i64| async move {
///     if delta < 0 {
///         return Err(ListenerError::new(format!("negative delta at {version}")));
///     }
///     Ok(())
/// });
/// # let _ = audit;
/// ```
pub fn from_fn<D, F, Fut>(f: F) -> FnListener<F, D>
where
    F: Fn(Version, D) -> Fut + Send + Sync,
    Fut: Future<Output = Result<(), ListenerError>> + Send,
{
    FnListener { f, _delta: PhantomData }
}

#[async_trait]
impl<D, F, Fut> Listener<D> for FnListener<F, D>
where
    D: Clone + Send + Sync,
    F: Fn(Version, D) -> Fut + Send + Sync,
    Fut: Future<Output = Result<(), ListenerError>> + Send,
{
    async fn on_update(&self, version: Version, delta: &D) -> Result<(), ListenerError> {
        (self.f)(version, delta.clone()).await
    }
}
