//! The meeting point of the application and the connection driver: one session machine
//! behind a lock, and two wake-up signals, one each way.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use parking_lot::Mutex;
use tokio::sync::Notify;
use ws_proto::Session as Machine;

/// The current instant, from tokio's clock so that paused-time tests control it.
pub(crate) fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// A session machine shared by the application handle and the connection driver.
#[derive(Debug)]
pub(crate) struct Shared {
    machine: Mutex<Machine>,
    to_conn: Notify,
    to_app: Notify,
    /// To the session's store writer (durable stores only): whatever wakes the connection
    /// or the application may have made something to persist.
    to_store: Notify,
    /// The server's memory budget, charged with what the machine holds (replay buffer,
    /// messages not yet taken); `None` on the client.
    charge: Option<Charge>,
}

/// What a session has charged to the memory budget.
#[derive(Debug)]
struct Charge {
    budget: Arc<crate::server::budget::Budget>,
    held: AtomicUsize,
}

impl Charge {
    /// Moves the charge to `now` bytes (called under the machine's lock).
    fn update(&self, now: usize) {
        let before = self.held.swap(now, Ordering::AcqRel);
        if now > before {
            self.budget.charge(now - before);
        } else {
            self.budget.release(before - now);
        }
    }
}

impl Drop for Charge {
    fn drop(&mut self) {
        self.budget.release(*self.held.get_mut());
    }
}

impl Shared {
    pub(crate) fn new(machine: Machine) -> Arc<Self> {
        Self::charged(machine, None)
    }

    /// A session whose held bytes are charged to `budget`.
    pub(crate) fn charged(
        machine: Machine,
        budget: Option<Arc<crate::server::budget::Budget>>,
    ) -> Arc<Self> {
        let charge = budget.map(|budget| Charge { budget, held: AtomicUsize::new(0) });
        Arc::new(Self {
            machine: Mutex::new(machine),
            to_conn: Notify::new(),
            to_app: Notify::new(),
            to_store: Notify::new(),
            charge,
        })
    }

    /// Runs `f` on the machine under the lock. Never hold the lock across an await.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut Machine) -> R) -> R {
        let mut machine = self.machine.lock();
        let out = f(&mut machine);
        if let Some(charge) = &self.charge {
            charge.update(machine.held_bytes());
        }
        out
    }

    /// Tells the connection driver that there is something to transmit or a new deadline.
    pub(crate) fn wake_conn(&self) {
        self.to_conn.notify_one();
        self.to_store.notify_one();
    }

    /// Tells every waiting application call that events or room may be available.
    pub(crate) fn wake_app(&self) {
        self.to_app.notify_waiters();
        self.to_store.notify_one();
    }

    /// Resolves at the next wake-up of the connection or the application (or at once if one
    /// is pending): the store writer's signal.
    pub(crate) async fn store_woken(&self) {
        self.to_store.notified().await;
    }

    /// Resolves at the next [`Shared::wake_conn`] (or at once if one is pending).
    pub(crate) async fn conn_woken(&self) {
        self.to_conn.notified().await;
    }

    /// Runs `f` until it returns `Some`, re-checking each time the driver wakes the
    /// application. The wake-up is armed before `f` runs, so none is missed.
    pub(crate) async fn wait_app<R>(&self, mut f: impl FnMut(&mut Machine) -> Option<R>) -> R {
        // The common case, something is ready, needs no wake-up registration at all.
        if let Some(out) = self.with(&mut f) {
            return out;
        }
        loop {
            let notified = self.to_app.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(out) = self.with(&mut f) {
                return out;
            }
            notified.await;
        }
    }
}
