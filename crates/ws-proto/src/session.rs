//! The sans-IO session machine: one per session, on each side, outliving connections.
//!
//! It does no I/O and never reads the clock. The driver feeds it decoded frames
//! ([`Session::handle_frame`]), connection changes ([`Session::attach`], [`Session::detach`])
//! and time ([`Session::handle_timeout`]); it answers with frames to put on the wire
//! ([`Session::poll_transmit`]), application events ([`Session::poll_event`]) and the next
//! instant it wants to be woken ([`Session::poll_timeout`]).

use std::collections::VecDeque;
use std::time::Instant;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::frame::{Ack, Data, Frame, LostReason, Seq, SessionLost};
use crate::inbound::Inbound;
use crate::outbound::Outbound;
use crate::stream::StreamRx;

mod receive;
mod snapshot;
mod types;

pub use snapshot::Snapshot;
pub use types::{Event, Phase, Stats, Transmit};

/// The session machine.
#[derive(Debug)]
pub struct Session {
    config: Config,
    phase: Phase,
    inbound: Inbound,
    outbound: Outbound,
    streams: StreamRx,
    events: VecDeque<Event>,
    states: VecDeque<Data>,
    control: VecDeque<Frame>,
    lost_frame: Option<LostReason>,
    last_heard: Instant,
    /// The latest instant any call passed in (sends carry no instant of their own).
    clock: Instant,
    next_ping: Instant,
    retransmit_until: Seq,
    /// Our close marker's sequence number, once `close` was called.
    fin_sent: Option<Seq>,
    /// The peer's close marker, once received: the session ends when its ack goes out.
    fin_received: Option<Seq>,
    stats: Stats,
}

impl Session {
    /// A session, detached at `now` until its first [`Session::attach`].
    pub fn new(config: Config, now: Instant) -> Result<Self> {
        config.validate()?;
        Ok(Self {
            inbound: Inbound::new(config.ack_delay, config.ack_every, config.ack_bytes),
            outbound: Outbound::new(
                config.max_buffered_messages,
                config.max_buffered_bytes.min(config.max_payload),
                config.max_buffered_bytes,
            )?,
            streams: StreamRx::new(config.max_open_streams),
            config,
            phase: Phase::Detached(now),
            events: VecDeque::new(),
            states: VecDeque::new(),
            control: VecDeque::new(),
            lost_frame: None,
            last_heard: now,
            clock: now,
            next_ping: now,
            retransmit_until: 0,
            fin_sent: None,
            fin_received: None,
            stats: Stats::default(),
        })
    }

    /// Queues a message for the peer; it stays buffered until acknowledged. `Full` is
    /// backpressure: wait for acknowledgements and retry.
    pub fn send(&mut self, data: Data) -> Result<Seq> {
        if matches!(self.phase, Phase::Ended(_)) || self.fin_sent.is_some() {
            return Err(Error::Ended);
        }
        self.outbound.push(data, self.clock)
    }

    /// Queues a control frame (welcome, refresh, state, ...) for the current connection; it
    /// goes out before any data. Control frames are not replayed: they belong to one
    /// connection, and a connection that ends drops the ones not yet written.
    pub fn queue_control(&mut self, frame: Frame) {
        self.control.push_back(frame);
    }

    /// Whether [`Session::send`] would accept a payload of `len` bytes now.
    pub fn has_room(&self, len: usize) -> bool {
        self.outbound.has_room(len)
    }

    /// Whether a payload of `len` bytes can ever be sent (it fits the replay buffer).
    pub fn fits(&self, len: usize) -> bool {
        self.outbound.fits(len)
    }

    /// A connection now carries the session; the peer has received up to `peer_last`.
    pub fn attach(&mut self, peer_last: Seq, now: Instant) -> Result<()> {
        if let Phase::Ended(_) = self.phase {
            return Err(Error::Ended);
        }
        self.clock = self.clock.max(now);
        self.outbound.rewind(peer_last, now)?;
        self.retransmit_until = self.outbound.last_assigned();
        self.inbound.on_attach();
        self.phase = Phase::Attached;
        self.last_heard = now;
        self.next_ping = now + self.config.heartbeat_interval;
        self.stats.attaches += 1;
        Ok(())
    }

    /// The connection is gone; the resume window starts.
    pub fn detach(&mut self, now: Instant) {
        self.control.clear();
        if self.phase == Phase::Attached {
            self.phase = Phase::Detached(now);
        }
    }

    /// Closes the session on purpose: queues the close marker after everything already sent.
    /// The session ends ([`LostReason::Closed`]) when the peer acknowledges the marker, which
    /// it does after delivering everything before it; until then the marker is replayed
    /// across reconnects like any message. Idempotent; `Full` like a send.
    pub fn close(&mut self) -> Result<Seq> {
        if let Some(seq) = self.fin_sent {
            return Ok(seq);
        }
        let seq = self.send(Data { fin: true, ..Data::new("") })?;
        self.fin_sent = Some(seq);
        Ok(seq)
    }

    /// Ends the session explicitly; the peer is told if a connection is attached.
    pub fn lose(&mut self, reason: LostReason) {
        if let Phase::Ended(_) = self.phase {
            return;
        }
        if self.phase == Phase::Attached {
            self.lost_frame = Some(reason);
        }
        self.phase = Phase::Ended(reason);
        self.events.push_back(Event::Lost(reason));
    }

    /// Any sign of life from the peer (a frame, a pong).
    pub fn on_activity(&mut self, now: Instant) {
        self.last_heard = now;
    }

    /// Feeds one decoded frame. Data, acks and session-lost frames are consumed; any other
    /// frame is handed back for the driver. An error means the peer broke the protocol:
    /// send it an error frame and drop the connection; the session itself survives.
    pub fn handle_frame(&mut self, frame: Frame, now: Instant) -> Result<Option<Frame>> {
        self.last_heard = now;
        self.clock = self.clock.max(now);
        if self.phase != Phase::Attached {
            return Err(Error::Unexpected("frame on a session that is not attached"));
        }
        match frame {
            Frame::Data(data) => self.on_data(data).map(|()| None),
            Frame::Ack(Ack { up_to }) => {
                self.outbound.ack(up_to)?;
                if self.fin_sent.is_some_and(|fin| up_to >= fin) {
                    self.end_closed();
                }
                Ok(None)
            }
            Frame::SessionLost(SessionLost { reason, .. }) => {
                self.phase = Phase::Ended(reason);
                self.events.push_back(Event::Lost(reason));
                Ok(None)
            }
            other => Ok(Some(other)),
        }
    }

    /// The next thing to write, if any. Acks go first, then data in sequence order, then a
    /// heartbeat ping when due.
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Transmit> {
        self.clock = self.clock.max(now);
        if let Some(reason) = self.lost_frame.take() {
            let lost = SessionLost { reason, message: String::new() };
            return Some(Transmit::Frame(Frame::SessionLost(lost)));
        }
        if self.phase != Phase::Attached {
            return None;
        }
        if let Some(frame) = self.control.pop_front() {
            if self.control.is_empty() {
                // Control frames are rare (a welcome, a refresh): an idle session keeps none.
                self.control.shrink_to_fit();
            }
            return Some(Transmit::Frame(frame));
        }
        if let Some(up_to) = self.inbound.poll_ack(now) {
            self.stats.acks_sent += 1;
            if self.fin_received.is_some_and(|fin| up_to >= fin) {
                self.end_closed();
            }
            return Some(Transmit::Frame(Frame::Ack(Ack { up_to })));
        }
        self.next_data(now).or_else(|| self.next_ping(now))
    }

    /// The ack a connection that is about to close should still send, if any.
    pub fn final_ack(&mut self) -> Option<Frame> {
        if self.phase != Phase::Attached {
            return None;
        }
        let up_to = self.inbound.ack_now()?;
        if self.fin_received.is_some_and(|fin| up_to >= fin) {
            self.end_closed();
        }
        Some(Frame::Ack(Ack { up_to }))
    }

    /// The next application event, if any. Taking a message is what acknowledges it to the
    /// peer, so a slow consumer slows the sender down instead of growing this queue.
    pub fn poll_event(&mut self, now: Instant) -> Option<Event> {
        if !self.releasable_front() {
            return None;
        }
        let event = self.events.pop_front()?;
        if let Event::Message(data) | Event::Chunk(data, _) = &event {
            self.inbound.consumed(data.seq, data.payload_len(), now);
        }
        Some(event)
    }

    /// The next state-sync message (data marked `state`), for the session layer. Taking it
    /// acknowledges it, like [`Session::poll_event`].
    pub fn poll_state(&mut self, now: Instant) -> Option<Data> {
        let data = self.states.pop_front()?;
        self.inbound.consumed(data.seq, data.payload_len(), now);
        Some(data)
    }

    /// Whether acknowledgement work appeared since the last call (an ack due at once, or a
    /// new ack deadline): a driver wakes its writer only then, not for every frame.
    pub fn take_wake(&mut self) -> bool {
        self.inbound.take_wake()
    }

    /// Events waiting for the application (received, not yet consumed).
    pub fn pending_events(&self) -> usize {
        self.events.len()
    }

    /// The earliest instant at which [`Session::handle_timeout`] has work to do.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.phase {
            Phase::Attached => {
                let heartbeat = self.silence_deadline().map(|silent| silent.min(self.next_ping));
                match (heartbeat, self.inbound.poll_timeout()) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            }
            Phase::Detached(since) => Some(since + self.config.resume_window),
            Phase::Ended(_) => None,
        }
    }

    /// Advances time: detects a silent peer and an expired resume window.
    pub fn handle_timeout(&mut self, now: Instant) {
        match self.phase {
            Phase::Attached if self.silence_deadline().is_some_and(|at| now >= at) => {
                self.phase = Phase::Detached(now);
                self.events.push_back(Event::PeerSilent);
            }
            Phase::Detached(since) if now >= since + self.config.resume_window => {
                self.lose(LostReason::Expired);
            }
            _ => {}
        }
    }

    /// Where the session stands.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The highest sequence number received in order (what a `Hello` or `Welcome` reports).
    pub fn last_received(&self) -> Seq {
        self.inbound.last_received()
    }

    /// The highest sequence number the peer acknowledged.
    pub fn acked(&self) -> Seq {
        self.outbound.acked()
    }

    /// Messages and payload bytes waiting for acknowledgement.
    pub fn buffered(&self) -> (usize, usize) {
        self.outbound.usage()
    }

    /// Payload bytes this machine holds: the replay buffer's and the received messages the
    /// application has not taken yet. A server charges them to its memory budget.
    pub fn held_bytes(&self) -> usize {
        self.outbound.usage().1 + self.inbound.held()
    }

    /// Whether frames wait to be written (a driver flushes when this turns false).
    pub fn wants_transmit(&self) -> bool {
        let attached = self.phase == Phase::Attached;
        self.lost_frame.is_some()
            || (attached && (self.outbound.has_unsent() || !self.control.is_empty()))
    }

    /// Counters.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The close handshake completed: the session ends, cleanly.
    fn end_closed(&mut self) {
        if !matches!(self.phase, Phase::Ended(_)) {
            self.phase = Phase::Ended(LostReason::Closed);
            self.events.push_back(Event::Lost(LostReason::Closed));
        }
    }

    fn next_data(&mut self, now: Instant) -> Option<Transmit> {
        let data = self.outbound.next_to_send(now)?;
        self.stats.transmitted += 1;
        self.stats.retransmitted += u64::from(data.seq <= self.retransmit_until);
        Some(Transmit::Frame(Frame::Data(data)))
    }

    fn next_ping(&mut self, now: Instant) -> Option<Transmit> {
        if !self.config.heartbeat_enabled || now < self.next_ping {
            return None;
        }
        self.next_ping = now + self.config.heartbeat_interval;
        Some(Transmit::Ping)
    }

    /// When a silent peer becomes a ghost; `None` with heartbeats switched off.
    pub fn silence_deadline(&self) -> Option<Instant> {
        let Config { heartbeat_enabled, heartbeat_interval, heartbeat_timeout, .. } = self.config;
        heartbeat_enabled.then(|| self.last_heard + heartbeat_interval + heartbeat_timeout)
    }
}
