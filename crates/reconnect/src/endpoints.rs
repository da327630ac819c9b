//! A round-robin list of endpoints shared by the connect function and the fallback hook.
//!
//! The connect function reads [`Endpoints::current`] on every attempt; the
//! `on_breaker_open` hook calls [`Endpoints::rotate`], so when one endpoint keeps failing
//! the trial after the open duration goes to the next one. Clones share the position.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{Error, Result};

/// A non-empty list of endpoints with a shared current position.
#[derive(Clone, Debug)]
pub struct Endpoints<T = String> {
    list: Arc<[T]>,
    position: Arc<AtomicUsize>,
}

impl<T> Endpoints<T> {
    /// The list, starting at its first entry; an empty list is a caller bug.
    pub fn new(list: impl IntoIterator<Item = T>) -> Result<Self> {
        let list: Arc<[T]> = list.into_iter().collect();
        if list.is_empty() {
            return Err(Error::Config("endpoint list must not be empty"));
        }
        Ok(Self { list, position: Arc::new(AtomicUsize::new(0)) })
    }

    /// The endpoint to connect to now.
    pub fn current(&self) -> &T {
        &self.list[self.index()]
    }

    /// Moves every clone to the next endpoint (wrapping around) and returns it.
    pub fn rotate(&self) -> &T {
        let previous = self.position.fetch_add(1, Ordering::Relaxed);
        &self.list[previous.wrapping_add(1) % self.list.len()]
    }

    /// The current endpoint's index in the list.
    pub fn index(&self) -> usize {
        self.position.load(Ordering::Relaxed) % self.list.len()
    }

    /// All endpoints, in order.
    pub fn all(&self) -> &[T] {
        &self.list
    }
}
