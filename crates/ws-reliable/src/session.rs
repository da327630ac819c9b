//! What the application holds: a session, never a connection. It keeps working across the
//! peer's reconnects; the driver behind it swaps connections underneath.

use std::sync::Arc;

use dedup::{MessageId, ShardedWindow, Verdict};

use ws_proto::{ChunkStatus, Data, Event, LostReason, Payload, Phase, Seq, StreamTx};

use crate::error::{Error, Result};
use crate::shared::{Shared, now};

/// One message as the application receives it: in order, exactly once.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Message {
    /// The sender's sequence number for it.
    pub seq: Seq,
    /// The sender's application message id, if it gave one.
    pub id: Option<String>,
    /// The payload.
    pub payload: Payload,
    /// Present when the message is a chunk of a stream.
    pub stream: Option<StreamChunk>,
    /// With a durable store, after the process that ran the session died: this message may
    /// have reached the application before (consumed, but its cursor was not yet durable).
    /// Application ids ([`Session::send_with_id`]) still dedup it. `false` otherwise.
    pub redelivered: bool,
}

/// Where a received chunk sits in its stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamChunk {
    /// The stream id.
    pub stream: String,
    /// The chunk index, from 0.
    pub index: u64,
    /// Whether this was the last chunk; its digest matched (a mismatch is an error instead).
    pub last: bool,
}

impl Message {
    /// The payload as text, if it is text.
    pub fn text(&self) -> Option<&str> {
        match &self.payload {
            Payload::Text(text) => Some(text),
            Payload::Binary(_) => None,
        }
    }
}

/// An application's handle on one session. Clones share the session.
#[derive(Clone, Debug)]
pub struct Session {
    shared: Arc<Shared>,
    info: Arc<SessionInfo>,
    dedup: Option<Arc<ShardedWindow>>,
}

/// Who and which.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionInfo {
    /// The session id.
    pub id: String,
    /// The authenticated subject that owns it (empty when authentication is off).
    pub subject: String,
}

impl Session {
    pub(crate) fn new(
        shared: Arc<Shared>,
        info: SessionInfo,
        dedup: Option<Arc<ShardedWindow>>,
    ) -> Self {
        Self { shared, info: Arc::new(info), dedup }
    }

    /// The session id.
    pub fn id(&self) -> &str {
        &self.info.id
    }

    /// The authenticated subject that owns the session.
    pub fn subject(&self) -> &str {
        &self.info.subject
    }

    /// Queues a message; it stays buffered until the peer acknowledges it and is replayed
    /// after a reconnect. Waits while the outbound buffer is full.
    pub async fn send(&self, payload: impl Into<Payload>) -> Result<Seq> {
        self.send_data(Data::new(payload)).await
    }

    /// Like [`Session::send`], with an application message id for idempotency.
    pub async fn send_with_id(
        &self,
        id: impl Into<String>,
        payload: impl Into<Payload>,
    ) -> Result<Seq> {
        self.send_data(Data { id: Some(id.into()), ..Data::new(payload) }).await
    }

    /// Queues a message without waiting: [`Error::Full`] when the buffer is full.
    pub fn try_send(&self, payload: impl Into<Payload>) -> Result<Seq> {
        let data = Data::new(payload);
        let out = self.shared.with(|m| match m.phase() {
            Phase::Ended(reason) => Err(lost(reason)),
            _ if !m.fits(data.payload_len()) => Err(too_large(m, data.payload_len())),
            _ if !m.has_room(data.payload_len()) => Err(Error::Full),
            _ => m.send(data).map_err(Error::from),
        });
        self.shared.wake_conn();
        out
    }

    /// Receives the next message: `Ok(None)` once the peer closed the session on purpose,
    /// [`Error::SessionLost`] when it was lost, [`Error::StreamCorrupted`] for a stream whose
    /// digest did not match.
    ///
    /// A message carrying an application id already seen from the same subject within the
    /// dedup window (even in an earlier session) is dropped here: ids make resends after a
    /// lost session idempotent.
    pub async fn recv(&self) -> Result<Option<Message>> {
        loop {
            let (out, wake) =
                self.shared.wait_app(|m| next_message(m).map(|out| (out, m.take_wake()))).await;
            if wake {
                // Taking the message scheduled its ack: the writer has a (new) deadline.
                self.shared.wake_conn();
            }
            match &out {
                Ok(Some(message)) if self.seen_before(message) => continue,
                _ => return out,
            }
        }
    }

    /// Starts a stream: chunks of one logical response that survive disconnects and end with
    /// a digest the receiver verifies.
    pub fn open_stream(&self, id: impl Into<String>) -> StreamWriter {
        StreamWriter { session: self.clone(), tx: StreamTx::new(id) }
    }

    /// Waits until the peer has acknowledged everything sent so far.
    pub async fn flush(&self) -> Result<()> {
        self.shared
            .wait_app(|m| match m.phase() {
                Phase::Ended(reason) if m.buffered().0 > 0 => Some(Err(lost(reason))),
                _ => (m.buffered().0 == 0).then_some(Ok(())),
            })
            .await
    }

    /// Ends the session on purpose: the peer's `recv` returns `Ok(None)` after everything
    /// already sent. Waits for the acknowledgements first, so nothing is cut off, then for the
    /// peer to acknowledge the close itself (replayed across reconnects like a message).
    /// Resolves `Ok` once the close handshake completed, or with the loss if the session was
    /// lost first (e.g. the peer never came back within the resume window).
    pub async fn close(&self) -> Result<()> {
        self.flush().await?;
        let queued = self
            .shared
            .wait_app(|m| match m.phase() {
                Phase::Ended(reason) => Some(ended(reason)),
                _ if m.has_room(0) => Some(m.close().map(|_| ()).map_err(Error::from)),
                _ => None,
            })
            .await;
        self.shared.wake_conn();
        queued?;
        // The close is a handshake riding the sequence: done when the peer acknowledged it,
        // across reconnects if need be (or the session is lost, and that is the answer).
        self.shared
            .wait_app(
                |m| if let Phase::Ended(reason) = m.phase() { Some(ended(reason)) } else { None },
            )
            .await
    }

    /// Messages and payload bytes waiting for the peer's acknowledgement.
    pub fn buffered(&self) -> (usize, usize) {
        self.shared.with(|m| m.buffered())
    }

    fn seen_before(&self, message: &Message) -> bool {
        let (Some(window), Some(id)) = (&self.dedup, &message.id) else {
            return false;
        };
        let key = MessageId::explicit(format!("{}\u{0}{}", self.info.subject, id));
        match window.check_and_insert(key, now()) {
            Verdict::Duplicate => true,
            Verdict::Fresh => false,
            Verdict::Rejected => {
                tracing::warn!(session = %self.info.id, "dedup window full; delivering unchecked");
                false
            }
        }
    }

    async fn send_data(&self, data: Data) -> Result<Seq> {
        let len = data.payload_len();
        let mut data = Some(data);
        let out = self
            .shared
            .wait_app(|m| match m.phase() {
                Phase::Ended(reason) => Some(Err(lost(reason))),
                _ if !m.fits(len) => Some(Err(too_large(m, len))),
                _ if !m.has_room(len) => None,
                _ => data.take().map(|d| m.send(d).map_err(Error::from)),
            })
            .await;
        self.shared.wake_conn();
        out
    }
}

/// The writing end of a stream.
#[derive(Debug)]
pub struct StreamWriter {
    session: Session,
    tx: StreamTx,
}

impl StreamWriter {
    /// Sends one chunk. Waits while the outbound buffer is full.
    pub async fn write(&mut self, payload: impl Into<Payload>) -> Result<Seq> {
        self.send(payload.into(), false).await
    }

    /// Sends the final chunk (may be empty), which carries the digest of the whole stream.
    pub async fn finish(mut self, payload: impl Into<Payload>) -> Result<Seq> {
        self.send(payload.into(), true).await
    }

    async fn send(&mut self, payload: Payload, last: bool) -> Result<Seq> {
        let part = self.tx.part(&payload, last)?;
        self.session.send_data(Data { stream: Some(part), ..Data::new(payload) }).await
    }
}

fn too_large(m: &ws_proto::Session, size: usize) -> Error {
    let limit = m.config().max_payload.min(m.config().max_buffered_bytes);
    Error::Protocol(ws_proto::Error::TooLarge { size, limit })
}

/// `Ok` for a session that ended by a close, the loss otherwise.
fn ended(reason: LostReason) -> Result<()> {
    if reason == LostReason::Closed { Ok(()) } else { Err(lost(reason)) }
}

fn lost(reason: LostReason) -> Error {
    Error::SessionLost(reason)
}

/// The next application-visible outcome from the machine, if there is one yet. Messages
/// queued before a loss are delivered first; the loss itself is read from the phase.
fn next_message(m: &mut ws_proto::Session) -> Option<Result<Option<Message>>> {
    loop {
        let event = if m.pending_events() == 0 { None } else { m.poll_event(now()) };
        match event {
            Some(Event::Message(data)) => {
                let again = m.is_redelivery(data.seq);
                return Some(Ok(Some(to_message(data, None, again))));
            }
            Some(Event::Chunk(data, status)) => {
                let again = m.is_redelivery(data.seq);
                return Some(chunk(data, status, again));
            }
            Some(Event::PeerSilent | Event::Lost(_)) => continue,
            None => {
                let Phase::Ended(reason) = m.phase() else {
                    return None;
                };
                return Some(if reason == LostReason::Closed {
                    Ok(None)
                } else {
                    Err(lost(reason))
                });
            }
        }
    }
}

fn chunk(data: Data, status: ChunkStatus, again: bool) -> Result<Option<Message>> {
    let Some(part) = data.stream.clone() else {
        return Ok(Some(to_message(data, None, again)));
    };
    if status == ChunkStatus::Corrupted {
        return Err(Error::StreamCorrupted(part.id));
    }
    let info = StreamChunk { stream: part.id, index: part.index, last: part.last };
    Ok(Some(to_message(data, Some(info), again)))
}

fn to_message(data: Data, stream: Option<StreamChunk>, redelivered: bool) -> Message {
    Message { seq: data.seq, id: data.id, payload: data.payload, stream, redelivered }
}
