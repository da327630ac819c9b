//! The link mechanics both model tests share: an application sending numbered texts, a side
//! writing frames onto its wire, and a cut that resumes both sides from each other's
//! `last_received`.

use std::collections::VecDeque;
use std::time::Instant;

use ws_proto::{Data, Frame, Session, Transmit};

/// Side `s` sends `n` texts `"{s}-{k}"`; the ones the session accepted are recorded in `sent`.
pub(crate) fn send(side: &mut Session, s: usize, n: u8, sent: &mut Vec<String>) {
    for _ in 0..n {
        let text = format!("{s}-{}", sent.len());
        if side.send(Data::new(text.clone())).is_ok() {
            sent.push(text);
        }
    }
}

/// Moves up to `n` frames `side` wants to write onto `wire` (pings go nowhere).
pub(crate) fn transmit(side: &mut Session, wire: &mut VecDeque<Frame>, n: usize, now: Instant) {
    for _ in 0..n {
        match side.poll_transmit(now) {
            Some(Transmit::Frame(frame)) => wire.push_back(frame),
            Some(Transmit::Ping) => {}
            None => return,
        }
    }
}

/// A new connection: each side resumes from what the other received in order.
pub(crate) fn reattach(sides: &mut [Session; 2], now: Instant) {
    let last = [sides[0].last_received(), sides[1].last_received()];
    sides[0].attach(last[1], now).unwrap();
    sides[1].attach(last[0], now).unwrap();
}
