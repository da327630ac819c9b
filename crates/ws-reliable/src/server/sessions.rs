//! The sessions this server runs, and the mailbox that hands a new connection to each one's
//! task. Ownership and resume tokens live in the [`crate::store::SessionStore`].

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use rand::RngCore;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;
use ws_proto::Seq;

use crate::codec::Codec;
use crate::server::control::ServerControl;
use crate::shared::Shared;

/// A connection handed to a session task.
pub(crate) struct Attach<S> {
    pub(crate) ws: tokio_tungstenite::WebSocketStream<S>,
    pub(crate) peer_last: Seq,
    pub(crate) codec: Codec,
    pub(crate) control: Arc<ServerControl>,
    /// The store's fencing epoch of the claim that brought this connection (0 for a new
    /// session); a connection from an older claim is refused.
    pub(crate) epoch: u64,
    /// Keeps the connection counted while the session task holds it.
    pub(crate) counted: Arc<crate::server::state::Counted>,
}

impl<S> std::fmt::Debug for Attach<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attach")
            .field("peer_last", &self.peer_last)
            .field("codec", &self.codec)
            .finish()
    }
}

/// A one-slot mailbox from the accept path to a session's task. A session needs one
/// connection at a time, so a slot is enough (a channel's block of slots is the largest
/// per-session allocation an idle server would otherwise hold).
pub(crate) struct Mailbox<S> {
    slot: Mutex<Option<Box<Attach<S>>>>,
    notify: Notify,
    closed: AtomicBool,
}

impl<S> Mailbox<S> {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            slot: Mutex::new(None),
            notify: Notify::new(),
            closed: AtomicBool::new(false),
        })
    }

    /// Hands `attach` to the task; back to the caller once the session has ended. A newer
    /// connection supersedes one the task has not taken yet (that one is closed by dropping).
    pub(crate) fn put(&self, attach: Box<Attach<S>>) -> Result<(), Box<Attach<S>>> {
        if self.closed.load(Ordering::Acquire) {
            return Err(attach);
        }
        let superseded = self.slot.lock().replace(attach);
        drop(superseded);
        self.notify.notify_one();
        Ok(())
    }

    /// The next connection. `notify_one` keeps a permit when nobody waits, so a connection
    /// put between the check and the wait is not missed.
    pub(crate) async fn take(&self) -> Box<Attach<S>> {
        loop {
            if let Some(attach) = self.slot.lock().take() {
                return attach;
            }
            self.notify.notified().await;
        }
    }

    /// The session ended: later connections are handed back, a pending one is dropped.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        drop(self.slot.lock().take());
    }
}

/// One session as the registry knows it.
pub(crate) struct Entry<S> {
    pub(crate) shared: Arc<Shared>,
    pub(crate) mailbox: Arc<Mailbox<S>>,
}

/// Every live session of a server.
pub(crate) struct Sessions<S> {
    map: Mutex<HashMap<String, Entry<S>>>,
    max: usize,
}

/// A fresh session's identity.
pub(crate) struct Created<S> {
    pub(crate) id: String,
    pub(crate) token: String,
    pub(crate) mailbox: Arc<Mailbox<S>>,
}

impl<S> Sessions<S> {
    pub(crate) fn new(max: usize) -> Self {
        Self { map: Mutex::new(HashMap::new()), max }
    }

    /// Registers a new session for `subject`; `None` when the session limit is reached.
    pub(crate) fn create(&self, shared: Arc<Shared>) -> Option<Created<S>> {
        let mut map = self.map.lock();
        if map.len() >= self.max {
            return None;
        }
        let (id, token) = (random_hex(16), random_hex(32));
        let mailbox = Mailbox::new();
        map.insert(id.clone(), Entry { shared, mailbox: Arc::clone(&mailbox) });
        Some(Created { id, token, mailbox })
    }

    /// Where to hand a connection for session `id`, if this server runs it.
    pub(crate) fn route(&self, id: &str) -> Option<Arc<Mailbox<S>>> {
        self.map.lock().get(id).map(|entry| Arc::clone(&entry.mailbox))
    }

    /// Forgets a session (it ended).
    pub(crate) fn remove(&self, id: &str) {
        self.map.lock().remove(id);
    }

    /// Number of sessions.
    pub(crate) fn len(&self) -> usize {
        self.map.lock().len()
    }

    /// Runs `f` on every session's shared state (for health figures and shutdown).
    pub(crate) fn for_each(&self, mut f: impl FnMut(&Arc<Shared>)) {
        self.map.lock().values().for_each(|entry| f(&entry.shared));
    }
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}
