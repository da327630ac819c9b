//! The store writer of one session, with a durable store: group commit per session.
//!
//! It wakes with the connection and the application, takes everything new under one lock
//! (the outbound frames pushed since the last write, the inbound cursors, the peer's ack),
//! writes it as one [`Batch`] (one store round trip or fsync for all of it), and only then
//! opens the machine's gates: the frames may leave, the cursor may be acknowledged, the
//! messages received may be handed to the application. A write refused because another node
//! claimed the session ends it here without a word to the client, which resumes there.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use ws_proto::{Data, LostReason, Phase, Seq};

use crate::shared::{Shared, now};
use crate::store::{Batch, LogEntry, Progress, SessionStore, StoreError};

/// How long a failed write waits before the next try (nothing new is acknowledged meanwhile).
const RETRY: Duration = Duration::from_millis(50);
/// How long a write refused for an epoch this node is about to take waits for that claim to
/// land here before the session counts as taken by another node.
const LOCAL_CLAIM: Duration = Duration::from_secs(2);

/// What the writer needs.
pub(crate) struct Persist {
    pub(crate) id: String,
    pub(crate) shared: Arc<Shared>,
    pub(crate) store: Arc<dyn SessionStore>,
    /// The epoch of this node's latest claim of the session.
    pub(crate) epoch: watch::Receiver<u64>,
    /// The longest time without a write: each write renews the store's resume window, which
    /// must not lapse under an idle session that is still alive.
    pub(crate) keepalive: Duration,
}

/// What the store holds already.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Written {
    /// The last outbound frame appended.
    pub(crate) sent: Seq,
    /// The cursors last written.
    pub(crate) progress: Progress,
}

/// Writes until the session ends or is taken by another node.
pub(crate) async fn run(mut p: Persist, mut written: Written) {
    let mut renew = false;
    loop {
        let (frames, progress, ended) = p.shared.with(|m| pending(m, &written));
        if std::mem::take(&mut renew) || !frames.is_empty() || progress != written.progress {
            let sent = frames.last().map_or(written.sent, |d| d.seq);
            match write(&mut p, &frames, &progress).await {
                Ok(()) => written = opened(&p.shared, sent, progress),
                Err(Fate::Fenced) => return fenced(&p),
                Err(Fate::Retry) => tokio::time::sleep(RETRY).await,
            }
            continue;
        }
        if ended {
            return;
        }
        renew = tokio::time::timeout(p.keepalive, p.shared.store_woken()).await.is_err();
    }
}

/// Everything not written yet, and whether the session ended.
fn pending(m: &ws_proto::Session, written: &Written) -> (Vec<Data>, Progress, bool) {
    let (delivered, received) = m.durable_cursors();
    let progress = Progress { delivered, received, peer_acked: m.acked(), ..Progress::default() };
    (m.frames_after(written.sent), progress, matches!(m.phase(), Phase::Ended(_)))
}

enum Fate {
    Fenced,
    Retry,
}

async fn write(p: &mut Persist, frames: &[Data], progress: &Progress) -> Result<(), Fate> {
    let mut batch = Batch { append: Vec::with_capacity(frames.len()), progress: None };
    for data in frames {
        let bytes = serde_json::to_vec(data).map_err(|_| Fate::Retry)?;
        batch.append.push(LogEntry { seq: data.seq, bytes: bytes.into() });
    }
    batch.progress = Some(progress.clone());
    loop {
        let epoch = *p.epoch.borrow();
        match p.store.write(&p.id, epoch, &batch).await {
            Ok(()) => return Ok(()),
            Err(StoreError::Fenced { current, .. }) => {
                // A claim on this node may have bumped the epoch before it reached us.
                let mine = tokio::time::timeout(LOCAL_CLAIM, p.epoch.wait_for(|e| *e >= current));
                if !matches!(mine.await, Ok(Ok(_))) {
                    return Err(Fate::Fenced);
                }
            }
            Err(StoreError::Lost(_)) => return Err(Fate::Fenced),
            Err(e) => {
                tracing::warn!(session = %p.id, error = %e, "session store write failed; retrying");
                return Err(Fate::Retry);
            }
        }
    }
}

/// The write landed: open the gates it covers and wake both sides.
fn opened(shared: &Shared, sent: Seq, progress: Progress) -> Written {
    shared.with(|m| {
        m.set_durable(progress.delivered, progress.received);
        m.set_durable_sent(sent);
    });
    shared.wake_conn();
    shared.wake_app();
    Written { sent, progress }
}

/// Another node owns the session now: end it here without telling the client (which then
/// reconnects and resumes there), and without touching the store.
fn fenced(p: &Persist) {
    tracing::info!(session = %p.id, "session taken over by another node; ending it here");
    p.shared.with(|m| {
        m.detach(now());
        m.lose(LostReason::Expired);
    });
    p.shared.wake_conn();
    p.shared.wake_app();
}
