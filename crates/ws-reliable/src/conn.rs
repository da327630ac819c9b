//! The connection driver shared by server and client: it carries one session over one
//! WebSocket until the connection ends, then hands the session back (detached, not lost).
//!
//! A reader and a writer run side by side in one task, so neither direction can block the
//! other (two peers that both write into full buffers without reading would deadlock).
//! The writer owns the timers: delayed acks, heartbeat pings, silence, and the side's own
//! deadlines (token refresh).

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use ws_proto::{Data, ErrorCode, ErrorFrame, Frame, LostReason, Phase, Transmit};

use crate::close::{TransportClose, transport_close};
use crate::codec::{Codec, Incoming};
use crate::shared::{Shared, now};

/// Longest wait for the goodbye frames on a connection that is ending.
const GOODBYE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// Most frames written between two flushes.
const BATCH: usize = 256;

/// One side's own frames and deadlines (the server's token refresh, the client's refresh
/// replies, state sync). Implementations use interior mutability.
pub(crate) trait Control: Send + Sync {
    /// A frame the session machine does not consume.
    fn on_frame(&self, frame: Frame, shared: &Arc<Shared>) -> Result<(), ws_proto::Error>;
    /// A state-sync message, delivered exactly once and in order.
    fn on_state(&self, data: &Data, shared: &Arc<Shared>) -> Result<(), ws_proto::Error>;
    /// The next deadline of this side's own timers.
    fn poll_timeout(&self) -> Option<Instant>;
    /// This side's timers fired; `Some` closes the connection with that code and reason.
    fn handle_timeout(&self, now: Instant, shared: &Arc<Shared>) -> Option<(ErrorCode, String)>;
    /// Whether one more data message from the peer is within its rate limit.
    fn admit(&self) -> bool {
        true
    }
    /// Where to record message metrics, if anywhere.
    fn metrics(&self) -> Option<&ws_metrics::Metrics> {
        None
    }
    /// A data message of `len` bytes was read and handed to the session (the server's memory
    /// budget releases its read reservation).
    fn delivered(&self, _len: usize) {}
    /// The silence watchdog found the peer alive (heartbeat cadence, never per frame).
    fn alive(&self, _now: Instant) {}
    /// The connection is ending: the goodbye is about to be written.
    fn closing(&self) {}
}

/// Why a connection ended. The session is detached in every case but `Ended`.
#[derive(Debug)]
pub(crate) enum End<T> {
    /// The peer closed the connection (with its close code, if any) or the network failed.
    PeerClosed(Option<u16>),
    /// The peer went silent past the heartbeat timeout.
    Silent,
    /// The peer broke the protocol; it was told with an error frame.
    Protocol(ws_proto::Error),
    /// The peer broke the WebSocket layer (RFC 6455); closed with that RFC code and reason,
    /// without an error frame.
    Transport(TransportClose),
    /// This side closed the connection with a code and reason (e.g. credentials expired).
    Closed(ErrorCode, String),
    /// The session ended; the peer was told.
    Ended,
    /// The caller's interrupt fired (a takeover or a shutdown).
    Interrupted(T),
}

impl<T> End<T> {
    /// A metric label for why the connection ended.
    pub(crate) fn label(&self) -> &'static str {
        match self {
            End::PeerClosed(_) => "peer_closed",
            End::Silent => "heartbeat_timeout",
            End::Protocol(_) => "protocol_error",
            End::Transport(_) => "transport_error",
            End::Closed(..) => "closed_by_server",
            End::Ended => "session_ended",
            End::Interrupted(_) => "takeover_or_shutdown",
        }
    }
}

/// Runs the session over `ws` until the connection ends or `interrupt` resolves.
pub(crate) async fn run<S, T>(
    ws: WebSocketStream<S>,
    shared: &Arc<Shared>,
    codec: Codec,
    control: &dyn Control,
    interrupt: impl Future<Output = T>,
) -> End<T>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (mut sink, mut stream) = ws.split();
    let end = tokio::select! {
        end = read_loop(&mut stream, shared, codec, control) => end,
        end = write_loop(&mut sink, shared, codec, control) => end,
        end = watchdog(shared, control) => end,
        value = interrupt => End::Interrupted(value),
    };
    control.closing();
    // A peer that stopped reading must not hold the goodbye (or this task) forever.
    let error = match &end {
        End::Protocol(e) => {
            Some(Frame::Error(ErrorFrame { code: e.code().as_u16(), message: e.to_string() }))
        }
        _ => None,
    };
    let (code, reason) = close_code(&end);
    let close = CloseFrame { code, reason: reason.into() };
    let _ = tokio::time::timeout(GOODBYE_TIMEOUT, goodbye(&mut sink, shared, codec, error, close))
        .await;
    shared.with(|m| m.detach(now()));
    shared.wake_app();
    end
}

/// Tells the peer why the connection ends: the session-lost frame if the session just
/// ended, the error frame for a protocol error, then the close frame with its code.
async fn goodbye<S>(
    sink: &mut futures_util::stream::SplitSink<WebSocketStream<S>, Message>,
    shared: &Arc<Shared>,
    codec: Codec,
    error: Option<Frame>,
    close: CloseFrame,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let ended = shared.with(|m| matches!(m.phase(), Phase::Ended(_)));
    let lost = ended.then(|| shared.with(|m| m.poll_transmit(now()))).flatten();
    if let Some(Transmit::Frame(frame)) = lost {
        let _ = sink.feed(codec.encode(&frame)).await;
    }
    if let Some(ack) = shared.with(|m| m.final_ack()) {
        let _ = sink.feed(codec.encode(&ack)).await;
    }
    if let Some(frame) = error {
        let _ = sink.feed(codec.encode(&frame)).await;
    }
    let _ = sink.send(Message::Close(Some(close))).await;
}

/// Ends the connection when the peer goes silent, even while the writer is blocked on a
/// peer that stopped reading (the writer's own timers cannot fire then).
async fn watchdog<T>(shared: &Arc<Shared>, control: &dyn Control) -> End<T> {
    loop {
        let Some(deadline) = shared.with(|m| m.silence_deadline()) else {
            return std::future::pending().await;
        };
        tokio::time::sleep_until(deadline.into()).await;
        let now = now();
        let phase = shared.with(|m| {
            m.handle_timeout(now);
            m.phase()
        });
        if let Phase::Detached(_) = phase {
            shared.wake_app();
            return End::Silent;
        }
        control.alive(now);
    }
}

async fn read_loop<S, T>(
    stream: &mut futures_util::stream::SplitStream<WebSocketStream<S>>,
    shared: &Arc<Shared>,
    codec: Codec,
    control: &dyn Control,
) -> End<T>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    while let Some(message) = stream.next().await {
        let message = match message {
            Ok(message) => message,
            Err(e) => return read_error(e, shared),
        };
        let len = crate::server::budget::data_len(&message);
        let frame = match codec.decode(message) {
            Incoming::Frame(frame) => frame,
            Incoming::Alive => {
                shared.with(|m| m.on_activity(now()));
                continue;
            }
            Incoming::Close(code) => return answer_close(stream, code).await,
            Incoming::Malformed(e) => return End::Protocol(e),
        };
        if let Err(e) = on_frame(frame, shared, control) {
            return End::Protocol(e);
        }
        control.delivered(len);
    }
    End::PeerClosed(None)
}

/// Answers the peer's close frame (RFC 6455 §5.5.1): tungstenite queued the reply, and writes
/// it out on the next read, which then reports the end of the stream. Nothing may follow it,
/// so the goodbye's frames are refused by tungstenite after this.
async fn answer_close<S, T>(
    stream: &mut futures_util::stream::SplitStream<WebSocketStream<S>>,
    code: Option<u16>,
) -> End<T>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let _ = tokio::time::timeout(GOODBYE_TIMEOUT, stream.next()).await;
    End::PeerClosed(code)
}

/// A read error ends the connection: with the RFC 6455 code for a violation of the WebSocket
/// layer, silently for the network's. A message over the size limit also ends the session,
/// because the peer would resend the same frame after every resume.
fn read_error<T>(e: tokio_tungstenite::tungstenite::Error, shared: &Arc<Shared>) -> End<T> {
    let Some(close) = transport_close(&e) else { return End::PeerClosed(None) };
    if close.too_large {
        shared.with(|m| m.lose(LostReason::ProtocolViolation));
    }
    End::Transport(close)
}

/// Applies the peer's rate limit to data frames and counts them.
fn admit(frame: &Frame, control: &dyn Control) -> Result<(), ws_proto::Error> {
    if let Frame::Data(data) = frame {
        if !control.admit() {
            return Err(ws_proto::Error::RateLimited);
        }
        control.metrics().inspect(|m| m.message_received(data.payload_len() as u64));
    }
    Ok(())
}

fn on_frame(
    frame: Frame,
    shared: &Arc<Shared>,
    control: &dyn Control,
) -> Result<(), ws_proto::Error> {
    admit(&frame, control)?;
    let (extra, states, acked, wake) = shared.with(|m| {
        let (now, before) = (now(), m.acked());
        let extra = m.handle_frame(frame, now)?;
        let states: Vec<Data> = std::iter::from_fn(|| m.poll_state(now)).collect();
        Ok::<_, ws_proto::Error>((extra, states, m.acked() - before, m.take_wake()))
    })?;
    if acked > 0 {
        control.metrics().inspect(|m| m.messages_acked(acked));
    }
    if let Some(extra) = extra {
        control.on_frame(extra, shared)?;
    }
    for data in &states {
        control.on_state(data, shared)?;
    }
    shared.wake_app();
    if wake || !states.is_empty() {
        shared.wake_conn();
    }
    Ok(())
}

async fn write_loop<S, T>(
    sink: &mut futures_util::stream::SplitSink<WebSocketStream<S>, Message>,
    shared: &Arc<Shared>,
    codec: Codec,
    control: &dyn Control,
) -> End<T>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        let (batch, phase) = collect(shared);
        let more = batch.len() == BATCH;
        for transmit in batch {
            let message = encode(transmit, codec, control.metrics());
            if sink.feed(message).await.is_err() {
                return End::PeerClosed(None);
            }
        }
        if sink.flush().await.is_err() {
            return End::PeerClosed(None);
        }
        if let Phase::Ended(_) = phase {
            return End::Ended;
        }
        if !more && let Some(end) = wait(shared, control).await {
            return end;
        }
    }
}

fn encode(transmit: Transmit, codec: Codec, metrics: Option<&ws_metrics::Metrics>) -> Message {
    match transmit {
        Transmit::Frame(frame) => {
            if let (Some(metrics), Frame::Data(data)) = (metrics, &frame) {
                metrics.message_sent(data.payload_len() as u64);
            }
            codec.encode(&frame)
        }
        Transmit::Ping => Message::Ping(Default::default()),
    }
}

/// Takes up to [`BATCH`] transmissions under one lock.
fn collect(shared: &Shared) -> (Vec<Transmit>, Phase) {
    shared.with(|m| {
        let now = now();
        let batch: Vec<Transmit> =
            std::iter::from_fn(|| m.poll_transmit(now)).take(BATCH).collect();
        (batch, m.phase())
    })
}

/// Sleeps until woken or until the earliest deadline, and handles the deadlines.
async fn wait<T>(shared: &Arc<Shared>, control: &dyn Control) -> Option<End<T>> {
    let machine_deadline = shared.with(|m| m.poll_timeout());
    let deadline = match (machine_deadline, control.poll_timeout()) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let sleep = async {
        match deadline {
            Some(at) => tokio::time::sleep_until(at.into()).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        () = shared.conn_woken() => None,
        () = sleep => on_deadline(shared, control),
    }
}

fn on_deadline<T>(shared: &Arc<Shared>, control: &dyn Control) -> Option<End<T>> {
    let now = now();
    let phase = shared.with(|m| {
        m.handle_timeout(now);
        m.phase()
    });
    if let Phase::Detached(_) = phase {
        shared.wake_app();
        return Some(End::Silent);
    }
    let (code, reason) = control.handle_timeout(now, shared)?;
    Some(End::Closed(code, reason))
}

fn close_code<T>(end: &End<T>) -> (CloseCode, String) {
    let library = |code: ErrorCode| CloseCode::Library(code.as_u16());
    match end {
        End::PeerClosed(_) => (CloseCode::Normal, String::new()),
        End::Silent => (library(ErrorCode::HeartbeatTimeout), "heartbeat timeout".to_owned()),
        End::Protocol(e) => (library(e.code()), "protocol error".to_owned()),
        End::Transport(c) => (CloseCode::from(c.code), c.reason.clone()),
        End::Closed(code, reason) => (library(*code), reason.clone()),
        End::Ended => (CloseCode::Normal, "session ended".to_owned()),
        End::Interrupted(_) => (CloseCode::Away, "going away".to_owned()),
    }
}
