//! The client's side: a cached copy of the subject's document, kept current by the deltas
//! the server sends, and updates that resolve to the new version or a conflict.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::Mutex;
use serde_json::Value;
use tokio::sync::{oneshot, watch};
use ws_proto::StateFrame;

use crate::error::{Error, Result};
use crate::shared::Shared;
use crate::sync::{WhenFull, send};

/// Updates waiting for their answer: the last request number, and each one's reply slot.
type Pending = (u64, HashMap<u64, oneshot::Sender<Result<u64>>>);

/// The client's copy of the document.
pub(crate) struct StateCache {
    doc: watch::Sender<(u64, Value)>,
    pending: Mutex<Pending>,
    session: Weak<Shared>,
    started: AtomicBool,
}

impl StateCache {
    pub(crate) fn new(shared: &Arc<Shared>) -> Arc<Self> {
        Arc::new(Self {
            doc: watch::Sender::new((0, Value::Object(Default::default()))),
            pending: Mutex::new((0, HashMap::new())),
            session: Arc::downgrade(shared),
            started: AtomicBool::new(false),
        })
    }

    /// On first use, asks the server for everything after the cached version; from then on
    /// the session receives every change of the document.
    pub(crate) fn start(&self) {
        if self.started.load(Ordering::Acquire) {
            return;
        }
        // Subscribed only once the request is queued: with a full buffer, the next call retries.
        if let Some(shared) = self.session.upgrade() {
            let version = self.doc.borrow().0;
            let sent = send(&shared, &StateFrame::Sync { version }, WhenFull::Refuse);
            self.started.store(sent, Ordering::Release);
        }
    }

    /// Fails every pending update: the session is over.
    pub(crate) fn fail_pending(&self) {
        self.pending.lock().1.clear();
    }

    /// Handles one state message from the server.
    pub(crate) fn on_frame(&self, frame: StateFrame) {
        match frame {
            StateFrame::Snapshot { version, state } => {
                self.doc.send_replace((version, state));
            }
            StateFrame::Delta { version, delta, req } => self.apply(version, &delta, req),
            StateFrame::Conflict { req, expected, current } => {
                self.resolve(req, Err(Error::Conflict { expected, current }));
            }
            _ => tracing::debug!("ignoring a state message only clients send"),
        }
    }

    fn apply(&self, version: u64, delta: &Value, req: Option<u64>) {
        self.doc.send_if_modified(|(current, value)| {
            // Deltas arrive exactly once and in order within a session; one at or below the
            // cached version is the catch-up overlapping what the cache already had.
            if version != *current + 1 {
                return false;
            }
            state_sync::merge_patch(value, delta);
            *current = version;
            true
        });
        if let Some(req) = req {
            self.resolve(req, Ok(version));
        }
    }

    fn resolve(&self, req: u64, outcome: Result<u64>) {
        if let Some(tx) = self.pending.lock().1.remove(&req) {
            let _ = tx.send(outcome);
        }
    }
}

/// The application's handle on the shared document.
#[derive(Clone)]
pub struct SharedState {
    cache: Arc<StateCache>,
}

impl SharedState {
    pub(crate) fn new(cache: Arc<StateCache>) -> Self {
        Self { cache }
    }

    /// The cached version and document.
    pub fn get(&self) -> (u64, Value) {
        self.cache.doc.borrow().clone()
    }

    /// Notified at every change of the cached document.
    pub fn subscribe(&self) -> watch::Receiver<(u64, Value)> {
        self.cache.doc.subscribe()
    }

    /// Proposes a JSON merge patch against version `expected`. Resolves to the new version,
    /// or [`Error::Conflict`] when another change got there first (nothing is overwritten).
    pub async fn update(&self, expected: u64, patch: Value) -> Result<u64> {
        let (tx, rx) = oneshot::channel();
        let req = {
            let mut pending = self.cache.pending.lock();
            pending.0 += 1;
            let req = pending.0;
            pending.1.insert(req, tx);
            req
        };
        let shared = self.cache.session.upgrade().ok_or(Error::Shutdown)?;
        if !send(&shared, &StateFrame::Update { req, expected, delta: patch }, WhenFull::Refuse) {
            self.cache.pending.lock().1.remove(&req);
            return Err(Error::Full);
        }
        rx.await.map_err(|_| Error::Shutdown)?
    }
}
