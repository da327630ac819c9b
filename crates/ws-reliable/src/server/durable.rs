//! Sessions behind a durable store: starting a session's tasks (with its store writer), and
//! resuming on this node a session the store knows but this process does not run (it ran
//! in a process that died, or on another node).
//!
//! A resume of an unknown session claims it in the store (the claim bumps the fencing
//! epoch: the old owner's writes are refused from then on), loads it, restores the machine
//! from its cursors and outbound log ([`ws_proto::Session::restore`]), and carries on as if
//! the session had always run here: the client gets a `Welcome` with `resumed: true`, the
//! frames it lacks, and the application's handler runs for the restored session.

use std::sync::Arc;

use ws_proto::{Data, Frame, LostReason, Resume, Session as Machine, Snapshot};

use crate::server::accept::{error_frame, lost, refuse, spawn_handler, store_down};
use crate::server::persist::{self, Persist, Written};
use crate::server::sessions::{Attach, Created};
use crate::server::state::{BoxIo, ServerState};
use crate::server::task::{self, Identity};
use crate::session::{Session, SessionInfo};
use crate::shared::{Shared, now};
use crate::store::{Loaded, StoreError};

/// Starts a registered session: its handler, its store writer (durable stores), its task.
pub(crate) fn launch(
    attach: Attach<BoxIo>,
    created: Created<BoxIo>,
    shared: Arc<Shared>,
    subject: &str,
    state: &Arc<ServerState>,
    written: Written,
) {
    let info = SessionInfo { id: created.id.clone(), subject: subject.to_owned() };
    spawn_handler(Session::new(Arc::clone(&shared), info, state.dedup.clone()), state);
    if state.store.durable() {
        let persist = Persist {
            id: created.id.clone(),
            shared: Arc::clone(&shared),
            store: Arc::clone(&state.store),
            epoch: created.epoch,
            keepalive: state.config.session.resume_window / 3,
        };
        tokio::spawn(persist::run(persist, written));
    }
    let who = Identity { id: created.id, token: created.token };
    let _ = created.mailbox.put(Box::new(attach));
    tokio::spawn(task::run(who, shared, created.mailbox, Arc::clone(state)));
}

/// Resumes a session the store knows and this process does not run; `attach.epoch` is the
/// claim this node just made.
pub(crate) async fn resume(
    mut attach: Attach<BoxIo>,
    resume: &Resume,
    subject: &str,
    state: &Arc<ServerState>,
) {
    let metrics = state.metrics.as_ref();
    let (machine, written) = match load(resume, state).await {
        Ok(loaded) => loaded,
        Err(Refusal::Lost(reason)) => {
            metrics.inspect(|m| m.resume_lost("expired"));
            return lost(&mut attach, reason).await;
        }
        Err(Refusal::Frame(frame)) => return refuse(&mut attach.ws, attach.codec, frame).await,
    };
    let shared = Shared::charged(machine, Some(Arc::clone(&state.budget)));
    match state.sessions.restore(&resume.session, &resume.token, Arc::clone(&shared), attach.epoch)
    {
        Ok(Some(created)) => launch(attach, created, shared, subject, state, written),
        Ok(None) => {
            let frame = error_frame(ws_proto::ErrorCode::RateLimited, "session limit reached");
            return refuse(&mut attach.ws, attach.codec, frame).await;
        }
        // A concurrent resume restored it first: this connection goes to that session.
        Err(mailbox) => drop(mailbox.put(Box::new(attach))),
    }
    metrics.inspect(|m| m.resume_succeeded());
}

enum Refusal {
    Lost(LostReason),
    Frame(Frame),
}

async fn load(resume: &Resume, state: &ServerState) -> Result<(Machine, Written), Refusal> {
    let loaded = state.store.load(&resume.session).await.map_err(|e| match e.lost_reason() {
        Some(reason) => Refusal::Lost(reason),
        None => Refusal::Frame(store_down(&e)),
    })?;
    let written = Written { sent: loaded.meta.last_seq, progress: loaded.meta.progress.clone() };
    let snapshot = snapshot(&resume.session, loaded).map_err(|e| {
        tracing::warn!(session = %resume.session, error = %e, "stored session unreadable: lost");
        Refusal::Lost(LostReason::Expired)
    })?;
    let machine = Machine::restore(state.config.session.clone(), snapshot, now())
        .map_err(|e| Refusal::Frame(error_frame(e.code(), &e.to_string())))?;
    Ok((machine, written))
}

/// The machine's snapshot from what the store holds.
fn snapshot(id: &str, loaded: Loaded) -> Result<Snapshot, StoreError> {
    let progress = loaded.meta.progress;
    let mut unacked = Vec::with_capacity(loaded.log.len());
    for entry in loaded.log.iter().filter(|e| e.seq > progress.peer_acked) {
        let data: Data = serde_json::from_slice(&entry.bytes)
            .map_err(|e| StoreError::Corrupt(format!("session {id}: frame {}: {e}", entry.seq)))?;
        unacked.push(data);
    }
    Ok(Snapshot {
        delivered: progress.delivered,
        received: progress.received,
        acked: progress.peer_acked,
        unacked,
    })
}
