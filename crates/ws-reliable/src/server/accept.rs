//! From an upgraded WebSocket to a session: read `Hello`, then create a session or resume one.

use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use ws_proto::{
    ErrorCode, ErrorFrame, Frame, Hello, LostReason, Resume, Session as Machine, SessionLost,
};

use crate::auth::Principal;
use crate::close::{TransportClose, transport_close};
use crate::codec::{Codec, Incoming};
use crate::server::control::ServerControl;
use crate::server::durable;
use crate::server::persist::Written;
use crate::server::sessions::{Attach, Created};
use crate::server::state::{BoxIo, ServerState, Upgraded};
use crate::session::Session;
use crate::shared::{Shared, now};
use crate::store::{SessionRecord, StoreError};

/// Takes an upgraded connection of an authenticated principal to its session.
pub(crate) async fn accept(mut ws: WebSocketStream<BoxIo>, up: Upgraded, state: Arc<ServerState>) {
    let codec = up.codec;
    let Some(hello) = hello_or_refuse(&mut ws, codec, &state).await else { return };
    let control = ServerControl::new(&up.principal, &state, up.account);
    let counted = up.counted;
    let attach = |ws, peer_last| Attach { ws, peer_last, codec, control, counted, epoch: 0 };
    match hello.resume {
        None => create(attach(ws, 0), &up.principal, state).await,
        Some(resume) => {
            let last = resume.last_received;
            claim(attach(ws, last), &resume, &up.principal.subject, &state).await;
        }
    }
}

/// Reads the `hello`, or refuses the connection with the reason there is none.
async fn hello_or_refuse(
    ws: &mut WebSocketStream<BoxIo>,
    codec: Codec,
    state: &ServerState,
) -> Option<Hello> {
    let read = tokio::time::timeout(state.config.hello_timeout, read_hello(ws, codec)).await;
    let refusal = match read {
        Ok(Ok(hello)) => return Some(hello),
        Ok(Err(NoHello::Protocol(e))) => error_frame(e.code(), &e.to_string()),
        Ok(Err(NoHello::Transport(c))) => {
            let close = CloseFrame { code: c.code.into(), reason: c.reason.into() };
            let _ = ws.close(Some(close)).await;
            return None;
        }
        Err(_) => error_frame(ErrorCode::Unexpected, "no hello in time"),
    };
    refuse(ws, codec, refusal).await;
    None
}

/// Sends `frame` and closes, with the frame's error code as the close code: the answer to a
/// connection that cannot carry a session.
pub(crate) async fn refuse(ws: &mut WebSocketStream<BoxIo>, codec: Codec, frame: Frame) {
    let code = match &frame {
        Frame::Error(e) => CloseCode::Library(e.code),
        _ => CloseCode::Normal,
    };
    let _ = ws.send(codec.encode(&frame)).await;
    let _ = ws.close(Some(CloseFrame { code, reason: "refused".into() })).await;
}

/// Why a connection carried no `hello`.
enum NoHello {
    /// A frame other than `hello`, or none in time: an error frame and its 4xxx code.
    Protocol(ws_proto::Error),
    /// A violation of the WebSocket layer: its RFC 6455 close code.
    Transport(TransportClose),
}

impl From<ws_proto::Error> for NoHello {
    fn from(e: ws_proto::Error) -> Self {
        NoHello::Protocol(e)
    }
}

async fn read_hello(ws: &mut WebSocketStream<BoxIo>, codec: Codec) -> Result<Hello, NoHello> {
    while let Some(message) = ws.next().await {
        let message = message.map_err(|e| match transport_close(&e) {
            Some(close) => NoHello::Transport(close),
            None => NoHello::Protocol(ws_proto::Error::Unexpected("closed before hello")),
        })?;
        match codec.decode(message) {
            Incoming::Frame(Frame::Hello(hello)) => return Ok(hello),
            Incoming::Frame(_) => {
                return Err(ws_proto::Error::Unexpected("the first frame must be hello").into());
            }
            Incoming::Alive => continue,
            Incoming::Close(_) => break,
            Incoming::Malformed(e) => return Err(e.into()),
        }
    }
    Err(ws_proto::Error::Unexpected("closed before hello").into())
}

async fn create(mut attach: Attach<BoxIo>, principal: &Principal, state: Arc<ServerState>) {
    if state.budget.refuse_new() {
        return budget_refusal(&mut attach.ws).await;
    }
    let (shared, created) = match register(principal, &state).await {
        Ok(registered) => registered,
        Err(frame) => return refuse(&mut attach.ws, attach.codec, frame).await,
    };
    durable::launch(attach, created, shared, &principal.subject, &state, Written::default());
}

/// A new session in this server's registry and in the store, or the frame refusing it.
async fn register(
    principal: &Principal,
    state: &ServerState,
) -> Result<(Arc<Shared>, Created<BoxIo>), Frame> {
    let mut machine = Machine::new(state.config.session.clone(), now())
        .map_err(|e| error_frame(e.code(), &e.to_string()))?;
    if state.store.durable() {
        machine.require_durability();
    }
    let shared = Shared::charged(machine, Some(Arc::clone(&state.budget)));
    let created = state
        .sessions
        .create(Arc::clone(&shared))
        .ok_or_else(|| error_frame(ErrorCode::RateLimited, "session limit reached, retry later"))?;
    let record = SessionRecord::new(&created.id, &principal.subject, &created.token);
    if let Err(e) = state.store.create(record).await {
        state.sessions.remove(&created.id);
        return Err(error_frame(ErrorCode::Unexpected, &e.to_string()));
    }
    Ok((shared, created))
}

async fn claim(
    mut attach: Attach<BoxIo>,
    resume: &Resume,
    subject: &str,
    state: &Arc<ServerState>,
) {
    let metrics = state.metrics.as_ref();
    metrics.inspect(|m| m.resume_attempted());
    let claim = match state.store.claim(&resume.session, &resume.token, subject).await {
        Ok(claim) => claim,
        Err(e) => return claim_refused(attach, &e, state).await,
    };
    attach.epoch = claim.epoch;
    let mailbox = match state.sessions.claimed(&resume.session, claim.epoch) {
        Some(mailbox) => mailbox,
        // Not run here: with a durable store, it is resumable from the store.
        None if state.store.durable() => {
            return durable::resume(attach, resume, subject, state).await;
        }
        None => {
            metrics.inspect(|m| m.resume_lost("expired"));
            return lost(&mut attach, LostReason::Expired).await;
        }
    };
    let sent = mailbox.put(Box::new(attach)).map_err(|attach| *attach);
    metrics.inspect(|m| if sent.is_ok() { m.resume_succeeded() } else { m.resume_lost("expired") });
    if let Err(mut attach) = sent {
        lost(&mut attach, LostReason::Expired).await;
    }
}

/// The store refused the claim: the session is gone (and why), or the store is unreachable
/// (the session may well be resumable later).
async fn claim_refused(mut attach: Attach<BoxIo>, e: &StoreError, state: &ServerState) {
    match e.lost_reason() {
        Some(reason) => {
            state.metrics.as_ref().inspect(|m| m.resume_lost(reason_label(reason)));
            lost(&mut attach, reason).await;
        }
        None => refuse(&mut attach.ws, attach.codec, store_down(e)).await,
    }
}

pub(crate) async fn lost(attach: &mut Attach<BoxIo>, reason: LostReason) {
    let frame =
        Frame::SessionLost(SessionLost { reason, message: format!("cannot resume: {reason:?}") });
    refuse(&mut attach.ws, attach.codec, frame).await;
}

pub(crate) fn spawn_handler(session: Session, state: &ServerState) {
    let handler = Arc::clone(&state.handler);
    tokio::spawn(async move {
        let outcome = handler(session.clone()).await;
        if let Err(e) = &outcome {
            tracing::warn!(session = %session.id(), error = %e, "session handler failed");
        }
        // A handler that returns ends its session on purpose, after its last messages land.
        let _ = session.close().await;
    });
}

/// Refuses a new session while the memory budget is reached: close 1013 ("try again
/// later"), no error frame, as for the other WebSocket-layer closes.
async fn budget_refusal(ws: &mut WebSocketStream<BoxIo>) {
    let code = CloseCode::from(crate::server::budget::TRY_AGAIN_LATER);
    let reason = "memory budget reached, try again later";
    let _ = ws.close(Some(CloseFrame { code, reason: reason.into() })).await;
}

fn reason_label(reason: LostReason) -> &'static str {
    match reason {
        LostReason::Expired => "expired",
        LostReason::BufferOverflow => "buffer_overflow",
        LostReason::Unauthorized => "unauthorized",
        LostReason::ProtocolViolation => "protocol_violation",
        LostReason::Shutdown => "shutdown",
        _ => "closed",
    }
}

pub(crate) fn store_down(e: &StoreError) -> Frame {
    error_frame(ErrorCode::Unexpected, &format!("session store unavailable, retry later: {e}"))
}

pub(crate) fn error_frame(code: ErrorCode, message: &str) -> Frame {
    Frame::Error(ErrorFrame { code: code.as_u16(), message: message.to_owned() })
}
