//! A session's task on the server: it outlives connections, attaching each one the registry
//! hands it, and waits out the resume window between them.

use std::future::Future;
use std::sync::Arc;

use ws_proto::{ErrorFrame, Frame, Phase, Welcome};

use crate::conn::{self, End};
use crate::server::sessions::{Attach, Mailbox};
use crate::server::state::{BoxIo, ServerState};
use crate::shared::{Shared, now};

/// Identity of the session a task drives.
pub(crate) struct Identity {
    pub(crate) id: String,
    pub(crate) token: String,
}

/// Drives one session until it ends, then removes it from the registry.
pub(crate) async fn run(
    who: Identity,
    shared: Arc<Shared>,
    mailbox: Arc<Mailbox<BoxIo>>,
    state: Arc<ServerState>,
) {
    let mut next = Some(mailbox.take().await);
    let mut epoch = 0;
    loop {
        next = match next.take() {
            Some(attach) if attach.epoch < epoch => stale(attach).await,
            Some(attach) => {
                epoch = attach.epoch;
                connected(attach, &who, &shared, &mailbox, &state).await
            }
            None => detached(&shared, &mailbox).await,
        };
        if matches!(shared.with(|m| m.phase()), Phase::Ended(_)) {
            break;
        }
    }
    mailbox.close();
    state.sessions.remove(&who.id);
    let reason = match shared.with(|m| m.phase()) {
        Phase::Ended(reason) => reason,
        _ => ws_proto::LostReason::Expired,
    };
    record_end(&state, &who.id, epoch, reason).await;
    shared.wake_app();
    tracing::debug!(session = %who.id, "session ended");
}

/// Tells the store why the session ended; a failure is logged (the store forgets the session
/// after its resume window anyway).
async fn record_end(state: &ServerState, id: &str, epoch: u64, reason: ws_proto::LostReason) {
    if let Err(e) = state.store.end(id, epoch, reason).await {
        tracing::warn!(session = %id, error = %e, "session store: end not recorded");
    }
}

/// Refuses a connection from a claim older than the one in force (fencing), then goes on
/// waiting.
async fn stale(mut attach: Box<Attach<BoxIo>>) -> Option<Box<Attach<BoxIo>>> {
    let frame = Frame::Error(ErrorFrame {
        code: ws_proto::ErrorCode::Unexpected.as_u16(),
        message: "superseded by a newer resume".to_owned(),
    });
    crate::server::accept::refuse(&mut attach.ws, attach.codec, frame).await;
    None
}

/// Carries the session over one connection; returns the next connection on a takeover.
async fn connected(
    attach: Box<Attach<BoxIo>>,
    who: &Identity,
    shared: &Arc<Shared>,
    mailbox: &Mailbox<BoxIo>,
    state: &Arc<ServerState>,
) -> Option<Box<Attach<BoxIo>>> {
    let Attach { mut ws, peer_last, codec, control, counted: _counted, .. } = *attach;
    if let Err(e) = shared.with(|m| welcome(m, who, peer_last)) {
        let frame = Frame::Error(ErrorFrame { code: e.code().as_u16(), message: e.to_string() });
        crate::server::accept::refuse(&mut ws, codec, frame).await;
        return None;
    }
    shared.wake_app();
    control.carries(shared);
    let mut shutdown = state.shutdown.subscribe();
    let interrupt = async {
        tokio::select! {
            next = mailbox.take() => Some(next),
            _ = shutdown.wait_for(|down| *down) => None,
            () = control.killed() => None,
        }
    };
    let end = counted(state, Box::pin(conn::run(ws, shared, codec, &*control, interrupt))).await;
    match end {
        End::Interrupted(next) => next,
        end => {
            tracing::debug!(session = %who.id, ?end, "connection ended");
            None
        }
    }
}

/// Runs a connection, counting it and recording how it ended.
async fn counted<T>(state: &ServerState, run: impl Future<Output = End<T>>) -> End<T> {
    let metrics = state.metrics.as_ref();
    metrics.inspect(|m| m.connection_opened());
    let end = run.await;
    metrics.inspect(|m| m.connection_closed(end.label()));
    if matches!(end, End::Silent) {
        metrics.inspect(|m| m.ghost_reaped());
    }
    end
}

/// Attaches the connection and queues the `Welcome` that must be its first frame.
fn welcome(
    m: &mut ws_proto::Session,
    who: &Identity,
    peer_last: ws_proto::Seq,
) -> ws_proto::Result<()> {
    m.attach(peer_last, now())?;
    let window = u64::try_from(m.config().resume_window.as_millis()).unwrap_or(u64::MAX);
    m.queue_control(Frame::Welcome(Welcome {
        session: who.id.clone(),
        token: who.token.clone(),
        resumed: m.stats().attaches > 1,
        last_received: m.last_received(),
        resume_window_ms: window,
    }));
    Ok(())
}

/// Waits for a resume, or for the resume window to end (the session is then lost). A server
/// shutdown does not end it: while the process lives, a client can still come back (to a
/// server started again in the same process, or to this one if it keeps running).
async fn detached(shared: &Arc<Shared>, mailbox: &Mailbox<BoxIo>) -> Option<Box<Attach<BoxIo>>> {
    loop {
        let deadline = shared.with(|m| m.poll_timeout())?;
        tokio::select! {
            next = mailbox.take() => return Some(next),
            () = tokio::time::sleep_until(deadline.into()) => {
                shared.with(|m| m.handle_timeout(now()));
                shared.wake_app();
            }
            () = shared.conn_woken() => {}
        }
    }
}
