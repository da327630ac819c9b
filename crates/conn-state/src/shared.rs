//! A thread-safe handle on one [`Registry`] for many tasks.

use std::sync::Arc;
use std::time::Instant;

use parking_lot::Mutex;

use crate::config::Config;
use crate::error::Result;
use crate::events::{Counts, Event, Ghost, Removed};
use crate::registry::Registry;
use crate::state::{ConnId, ConnState};

/// A cloneable, thread-safe [`Registry`]: each method takes the lock once, so each transition
/// is atomic with respect to every other task.
///
/// With the `driver` feature it also wakes a [`Sweeper`](crate::Sweeper) whenever an
/// operation makes the next deadline earlier than the one the sweeper sleeps until.
#[derive(Clone, Debug, Default)]
pub struct SharedRegistry {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    registry: Mutex<Registry>,
    #[cfg(feature = "driver")]
    wake: tokio::sync::Notify,
}

impl SharedRegistry {
    /// A shared registry with `config`, validated once.
    pub fn new(config: Config) -> Result<Self> {
        Ok(Self::from(Registry::new(config)?))
    }

    /// See [`Registry::open`].
    pub fn open(&self, id: ConnId, now: Instant) -> Result<()> {
        self.mutate(|registry| registry.open(id, now))
    }

    /// See [`Registry::touch`]. Never moves a deadline earlier, so it never wakes the sweeper.
    pub fn touch(&self, id: ConnId, now: Instant) -> Result<()> {
        self.inner.registry.lock().touch(id, now)
    }

    /// See [`Registry::begin_close`].
    pub fn begin_close(&self, id: ConnId, now: Instant) -> Result<()> {
        self.mutate(|registry| registry.begin_close(id, now))
    }

    /// See [`Registry::close_confirmed`].
    pub fn close_confirmed(&self, id: ConnId) -> Result<Removed> {
        self.inner.registry.lock().close_confirmed(id)
    }

    /// See [`Registry::close_failed`].
    pub fn close_failed(&self, id: ConnId, now: Instant) -> Result<ConnState> {
        self.mutate(|registry| registry.close_failed(id, now))
    }

    /// See [`Registry::state`].
    pub fn state(&self, id: ConnId) -> Option<ConnState> {
        self.inner.registry.lock().state(id)
    }

    /// See [`Registry::len`].
    pub fn len(&self) -> usize {
        self.inner.registry.lock().len()
    }

    /// See [`Registry::is_empty`].
    pub fn is_empty(&self) -> bool {
        self.inner.registry.lock().is_empty()
    }

    /// See [`Registry::counts`].
    pub fn counts(&self) -> Counts {
        self.inner.registry.lock().counts()
    }

    /// See [`Registry::poll_timeout`].
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.inner.registry.lock().poll_timeout()
    }

    /// See [`Registry::ghosts`].
    pub fn ghosts(&self, now: Instant) -> Vec<Ghost> {
        self.inner.registry.lock().ghosts(now)
    }

    /// See [`Registry::poll_ghosts`].
    pub fn poll_ghosts(&self, now: Instant) -> Vec<Ghost> {
        // Popping due deadlines only moves the next deadline later: no wake-up needed.
        self.inner.registry.lock().poll_ghosts(now)
    }

    /// See [`Registry::poll_event`].
    pub fn poll_event(&self) -> Option<Event> {
        self.inner.registry.lock().poll_event()
    }

    /// Runs `f` on the registry under one lock, for several steps that must be atomic
    /// together. Keep `f` short: every other task waits for it.
    pub fn with<R>(&self, f: impl FnOnce(&mut Registry) -> R) -> R {
        self.mutate(f)
    }

    /// Resolves when an operation made the next deadline earlier; a wake-up that happens
    /// before the call is kept, so none is lost.
    #[cfg(feature = "driver")]
    pub(crate) async fn deadline_moved(&self) {
        self.inner.wake.notified().await;
    }

    /// Runs `f` under the lock and wakes the sweeper when the next deadline moved earlier.
    fn mutate<R>(&self, f: impl FnOnce(&mut Registry) -> R) -> R {
        let mut registry = self.inner.registry.lock();
        let before = registry.poll_timeout();
        let out = f(&mut registry);
        let after = registry.poll_timeout();
        drop(registry);
        let earlier = match (before, after) {
            (Some(before), Some(after)) => after < before,
            (None, after) => after.is_some(),
            (Some(_), None) => false,
        };
        if earlier {
            self.wake();
        }
        out
    }

    #[cfg(feature = "driver")]
    fn wake(&self) {
        self.inner.wake.notify_one();
    }

    #[cfg(not(feature = "driver"))]
    fn wake(&self) {}
}

impl From<Registry> for SharedRegistry {
    fn from(registry: Registry) -> Self {
        Self {
            inner: Arc::new(Inner {
                registry: Mutex::new(registry),
                #[cfg(feature = "driver")]
                wake: tokio::sync::Notify::new(),
            }),
        }
    }
}
