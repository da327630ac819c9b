//! The sessions this server runs, and the mailbox that hands a new connection to each one's
//! task. Ownership and resume tokens live in the [`crate::store::SessionStore`].

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use rand::RngCore;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{Notify, watch};
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
    /// The epoch of this node's latest claim (the session's store writer follows it).
    pub(crate) epoch: watch::Sender<u64>,
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
    /// Follows this node's claims of the session.
    pub(crate) epoch: watch::Receiver<u64>,
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
        let (mailbox, entry, epoch) = Self::entry(shared, 0);
        map.insert(id.clone(), entry);
        Some(Created { id, token, mailbox, epoch })
    }

    /// Registers a session restored from the store under its own id and token, claimed at
    /// `epoch`. `Err` with the mailbox of the one already here when a concurrent resume
    /// registered it first; `Ok(None)` when the session limit is reached.
    pub(crate) fn restore(
        &self,
        id: &str,
        token: &str,
        shared: Arc<Shared>,
        epoch: u64,
    ) -> Result<Option<Created<S>>, Arc<Mailbox<S>>> {
        let mut map = self.map.lock();
        if let Some(entry) = map.get(id) {
            entry.epoch.send_if_modified(|e| std::mem::replace(e, (*e).max(epoch)) < epoch);
            return Err(Arc::clone(&entry.mailbox));
        }
        if map.len() >= self.max {
            return Ok(None);
        }
        let (mailbox, entry, rx) = Self::entry(shared, epoch);
        map.insert(id.to_owned(), entry);
        Ok(Some(Created { id: id.to_owned(), token: token.to_owned(), mailbox, epoch: rx }))
    }

    fn entry(shared: Arc<Shared>, epoch: u64) -> (Arc<Mailbox<S>>, Entry<S>, watch::Receiver<u64>) {
        let mailbox = Mailbox::new();
        let (tx, rx) = watch::channel(epoch);
        (Arc::clone(&mailbox), Entry { shared, mailbox, epoch: tx }, rx)
    }

    /// This node claimed session `id` at `epoch`: where to hand the connection, if this
    /// server runs the session (its store writer now writes with that epoch).
    pub(crate) fn claimed(&self, id: &str, epoch: u64) -> Option<Arc<Mailbox<S>>> {
        let map = self.map.lock();
        let entry = map.get(id)?;
        entry.epoch.send_if_modified(|e| std::mem::replace(e, (*e).max(epoch)) < epoch);
        Some(Arc::clone(&entry.mailbox))
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
