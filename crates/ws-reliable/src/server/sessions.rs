//! The sessions this server runs, and the channel that hands a new connection to each one's
//! task. Ownership and resume tokens live in the [`crate::store::SessionStore`].

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use rand::RngCore;
use tokio::sync::mpsc;
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

/// One session as the registry knows it.
pub(crate) struct Entry<S> {
    pub(crate) shared: Arc<Shared>,
    pub(crate) attach: mpsc::Sender<Box<Attach<S>>>,
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
    pub(crate) attach: mpsc::Sender<Box<Attach<S>>>,
    pub(crate) rx: mpsc::Receiver<Box<Attach<S>>>,
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
        let (tx, rx) = mpsc::channel(1);
        let entry = Entry { shared, attach: tx.clone() };
        map.insert(id.clone(), entry);
        Some(Created { id, token, attach: tx, rx })
    }

    /// Where to hand a connection for session `id`, if this server runs it.
    pub(crate) fn route(&self, id: &str) -> Option<mpsc::Sender<Box<Attach<S>>>> {
        self.map.lock().get(id).map(|entry| entry.attach.clone())
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
