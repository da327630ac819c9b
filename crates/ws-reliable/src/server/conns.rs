//! The server's connection registry, on `conn-state`.
//!
//! Every WebSocket that carries (or is about to carry) a session is tracked from its `hello`:
//! `Active` while it runs, `Closing` while its goodbye is written, then removed as `Closed`.
//! Nothing here is on the per-frame path: a connection registers once, its silence watchdog
//! touches it at heartbeat cadence (at most once per heartbeat interval + timeout), and it
//! leaves once. A connection not touched for twice that long is a ghost whose own watchdog
//! stopped (the session machine's heartbeat deadline catches a silent peer first): the
//! registry's idle deadline finds it, and the [`conn_state::Sweeper`] force-closes it through
//! the connection's kill switch, retrying a close that does not complete, then giving up.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use conn_state::{ConnId, ConnState, Counts, SharedRegistry, SweepReport, Sweeper};
use parking_lot::Mutex;
use tokio::sync::{Notify, watch};

use crate::error::{Error, Result};
use crate::shared::now;

/// One connection's kill switch and its "ended" signal.
#[derive(Debug, Default)]
struct Kill {
    killed: AtomicBool,
    fire: Notify,
    ended: AtomicBool,
    done: Notify,
}

/// The registry, the kill switches by id, and the sweeper's running totals.
#[derive(Debug)]
pub(crate) struct Connections {
    registry: SharedRegistry,
    kills: Mutex<HashMap<ConnId, Arc<Kill>>>,
    next: AtomicU64,
    sweeps: Mutex<Option<watch::Receiver<SweepReport>>>,
}

/// A connection's place in the registry; dropping it removes the connection.
#[derive(Debug)]
pub(crate) struct Tracked {
    conns: Arc<Connections>,
    id: ConnId,
    kill: Arc<Kill>,
}

/// What the health route reports about the registry.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub(crate) struct RegistryFigures {
    /// Connections per state.
    pub(crate) states: Counts,
    /// Force-closes so far, as the sweeper counted them.
    pub(crate) sweeps: SweepReport,
}

impl Connections {
    /// A registry whose idle deadline is twice the session's silence allowance (never, with
    /// the heartbeat off: nothing would touch the connections).
    pub(crate) fn new(session: &ws_proto::Config) -> Result<Arc<Self>> {
        let silence = session.heartbeat_interval + session.heartbeat_timeout;
        let idle = match session.heartbeat_enabled {
            true => (silence * 2).min(conn_state::MAX_TIMEOUT),
            false => conn_state::MAX_TIMEOUT,
        };
        // Events are not read: counts and the sweeper's report carry what health needs.
        let config = conn_state::Config::default().idle_timeout(idle).event_capacity(0);
        let registry = SharedRegistry::new(config).map_err(|e| Error::Config(e.to_string()))?;
        let kills = Mutex::new(HashMap::new());
        let sweeps = Mutex::new(None);
        Ok(Arc::new(Self { registry, kills, next: AtomicU64::new(1), sweeps }))
    }

    /// Tracks a new connection as `Active`.
    pub(crate) fn open(self: &Arc<Self>) -> Tracked {
        let id = ConnId(self.next.fetch_add(1, Ordering::Relaxed));
        let kill = Arc::new(Kill::default());
        self.kills.lock().insert(id, Arc::clone(&kill));
        if let Err(e) = self.registry.open(id, now()) {
            tracing::debug!(%id, error = %e, "connection not registered");
        }
        Tracked { conns: Arc::clone(self), id, kill }
    }

    /// Starts the sweeper; it stops when `stop` resolves. Ghosts it force-closes are counted
    /// in `metrics`.
    pub(crate) fn start_sweeper(
        self: &Arc<Self>,
        metrics: Option<ws_metrics::Metrics>,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<()> {
        let conns = Arc::downgrade(self);
        let closer = move |id| force_close(conns.clone(), id, metrics.clone());
        let config = conn_state::SweeperConfig::default().close_timeout(Duration::from_secs(2));
        let sweeper = Sweeper::new(self.registry.clone(), closer, config)
            .map_err(|e| Error::Config(e.to_string()))?;
        *self.sweeps.lock() = Some(sweeper.reports());
        tokio::spawn(sweeper.run(stop));
        Ok(())
    }

    /// Counts per state and the sweeper's totals.
    pub(crate) fn figures(&self) -> RegistryFigures {
        let sweeps = self.sweeps.lock().as_ref().map(|rx| *rx.borrow()).unwrap_or_default();
        RegistryFigures { states: self.registry.counts(), sweeps }
    }

    /// Connections in `Failed`: force-closes that did not complete yet.
    pub(crate) fn failed(&self) -> usize {
        self.registry.counts().failed
    }

    fn kill(&self, id: ConnId) -> Option<Arc<Kill>> {
        self.kills.lock().get(&id).cloned()
    }
}

/// The sweeper's closer: fires the kill switch and waits until the connection has ended (the
/// sweeper bounds the wait and records a timeout as a failed close, to be retried).
async fn force_close(
    conns: Weak<Connections>,
    id: ConnId,
    metrics: Option<ws_metrics::Metrics>,
) -> std::result::Result<(), &'static str> {
    let Some(kill) = conns.upgrade().and_then(|c| c.kill(id)) else {
        return Ok(());
    };
    tracing::info!(%id, "ghost connection: force-closing");
    metrics.inspect(|m| m.ghost_reaped());
    kill.killed.store(true, Ordering::Release);
    kill.fire.notify_waiters();
    loop {
        let done = kill.done.notified();
        tokio::pin!(done);
        done.as_mut().enable();
        if kill.ended.load(Ordering::Acquire) {
            return Ok(());
        }
        done.await;
    }
}

impl Tracked {
    /// The connection showed a sign of life (its watchdog ran and found the peer alive).
    pub(crate) fn touch(&self, at: Instant) {
        // Refused only once the connection is closing: nothing to postpone then.
        let _ = self.conns.registry.touch(self.id, at);
    }

    /// The connection is ending: its goodbye is being written.
    pub(crate) fn closing(&self) {
        let _ = self.conns.registry.begin_close(self.id, now());
    }

    /// Resolves when the sweeper force-closes this connection.
    pub(crate) async fn killed(&self) {
        loop {
            let fire = self.kill.fire.notified();
            tokio::pin!(fire);
            fire.as_mut().enable();
            if self.kill.killed.load(Ordering::Acquire) {
                return;
            }
            fire.await;
        }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        let id = self.id;
        // A force-closed connection is confirmed by the sweeper, which counts it.
        let forced = self.kill.killed.load(Ordering::Acquire);
        // One lock for both steps, so the sweeper cannot act on the connection in between.
        self.conns.registry.with(|registry| {
            if registry.state(id) == Some(ConnState::Active) {
                let _ = registry.begin_close(id, now());
            }
            if !forced {
                let _ = registry.close_confirmed(id);
            }
        });
        self.conns.kills.lock().remove(&self.id);
        self.kill.ended.store(true, Ordering::Release);
        self.kill.done.notify_waiters();
    }
}

#[cfg(test)]
mod tests;
