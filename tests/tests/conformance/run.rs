//! Running a case against a target and judging what the endpoint did, the way Autobahn does:
//! strict pass, non-strict (the connection was failed by dropping it, without the close code
//! RFC 6455 §7.4.1 asks for), or fail.

use std::fmt;

use tokio_tungstenite::tungstenite::protocol::frame::coding::{Control, Data as OpData, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::{Frame, FrameHeader};

use super::cases::{Case, Expect, Step};
use super::target::{Conn, Target, message_frame, unwrap};
use super::wire::{End, Seen};

/// The outcome of one case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Pass,
    NonStrict(String),
    Fail(String),
}

/// What the endpoint must echo: application messages and ping payloads.
#[derive(Default)]
struct Sent {
    messages: Vec<(bool, Vec<u8>)>,
    pings: Vec<Vec<u8>>,
}

/// Runs `case` against `target` on a fresh connection.
pub(crate) fn run(target: Target, case: &Case) -> Verdict {
    let binary = case.steps.iter().any(|s| matches!(s, Step::Msg { text: false, .. }));
    let mut conn = match target.open(binary) {
        Ok(conn) => conn,
        Err(e) => return Verdict::Fail(format!("could not open: {e}")),
    };
    let mut sent = Sent::default();
    for step in &case.steps {
        // A write may fail once the endpoint has failed the connection; what it sent is judged.
        if send_step(&mut conn, step, &mut sent).is_err() {
            break;
        }
    }
    let seen = observe(&mut conn, case.expect, &sent);
    judge(case.expect, &sent, &seen, |text, bytes| unwrap(conn.codec(), text, bytes))
}

fn send_step(conn: &mut Conn, step: &Step, sent: &mut Sent) -> std::io::Result<()> {
    match step {
        Step::Msg { text, payload, frames, ping_between } => {
            sent.messages.push((*text, payload.clone()));
            let (is_text, bytes) = conn.wrap(*text, payload);
            for (i, frame) in fragments(is_text, bytes, *frames).into_iter().enumerate() {
                if *ping_between && i == 1 {
                    sent.pings.push(b"between fragments".to_vec());
                    conn.wire.send(Frame::ping(&b"between fragments"[..]))?;
                }
                conn.wire.send(frame)?;
            }
            Ok(())
        }
        Step::Raw(frame) => {
            if frame.header().opcode == OpCode::Control(Control::Ping) {
                sent.pings.push(frame.payload().to_vec());
            }
            conn.wire.send(frame.clone())
        }
        Step::Unmasked(frame) => conn.wire.send_as_is(frame.clone()),
        Step::Chop(n) => {
            conn.wire.chop(*n);
            Ok(())
        }
    }
}

/// `bytes` as `n` frames (at least one): the first of the message's type, then continuations.
fn fragments(text: bool, bytes: Vec<u8>, n: usize) -> Vec<Frame> {
    let n = n.max(1);
    let size = bytes.len().div_ceil(n).max(1);
    let mut pieces: Vec<Vec<u8>> = bytes.chunks(size).map(<[u8]>::to_vec).collect();
    pieces.resize(n, Vec::new());
    let last = pieces.len() - 1;
    let mut frames = Vec::with_capacity(n);
    for (i, piece) in pieces.into_iter().enumerate() {
        if i == 0 {
            frames.push(message_frame(text, piece, i == last));
        } else {
            let header = FrameHeader {
                is_final: i == last,
                opcode: OpCode::Data(OpData::Continue),
                ..FrameHeader::default()
            };
            frames.push(Frame::from_payload(header, piece.into()));
        }
    }
    frames
}

/// Reads what the endpoint does. For an echo case: every echo and pong, then the closing
/// handshake the client starts once they are in (an endpoint that delivers asynchronously must
/// not see the close before it answered).
fn observe(conn: &mut Conn, expect: Expect, sent: &Sent) -> Seen {
    let mut seen = Seen::default();
    if expect != Expect::Echo {
        conn.wire.collect(&mut seen, |_| false);
        return seen;
    }
    let codec = conn.codec();
    let (want_messages, want_pongs) = (sent.messages.len(), sent.pings.len());
    conn.wire.collect(&mut seen, |s| {
        let echoed = s.messages.iter().filter(|(t, b)| unwrap(codec, *t, b).is_some()).count();
        echoed >= want_messages && s.pongs.len() >= want_pongs
    });
    if seen.close.is_none() && seen.end.is_none() && conn.wire.send(normal_close()).is_ok() {
        conn.wire.collect(&mut seen, |_| false);
    }
    seen
}

fn judge(
    expect: Expect,
    sent: &Sent,
    seen: &Seen,
    unwrap: impl Fn(bool, &[u8]) -> Option<(bool, Vec<u8>)>,
) -> Verdict {
    match expect {
        Expect::Echo => {
            let echoed: Vec<_> = seen.messages.iter().filter_map(|(t, b)| unwrap(*t, b)).collect();
            if echoed != sent.messages {
                return Verdict::Fail(format!(
                    "echoed {} of {} messages, or changed them",
                    echoed.len(),
                    sent.messages.len()
                ));
            }
            if seen.pongs != sent.pings {
                return Verdict::Fail(format!(
                    "{} pongs for {} pings, or other payloads",
                    seen.pongs.len(),
                    sent.pings.len()
                ));
            }
            closed_with(seen, Some(1000))
        }
        Expect::CloseReply(code) => closed_with(seen, code),
        Expect::Fail(code) => match (seen.close, seen.end) {
            (Some(Some(c)), _) if c == code => Verdict::Pass,
            (None, Some(End::Dropped)) => {
                Verdict::NonStrict(format!("dropped without close {code}"))
            }
            _ => Verdict::Fail(format!("expected close {code}: {}", describe(seen))),
        },
    }
}

fn closed_with(seen: &Seen, code: Option<u16>) -> Verdict {
    if seen.close == Some(code) {
        Verdict::Pass
    } else {
        Verdict::Fail(format!("expected a close reply {code:?}: {}", describe(seen)))
    }
}

fn describe(seen: &Seen) -> String {
    match (seen.close, seen.end) {
        (Some(Some(c)), _) => format!("closed with {c}"),
        (Some(None), _) => "closed with an empty close frame".into(),
        (None, Some(end)) => format!("no close frame ({end:?})"),
        (None, None) => "no close frame".into(),
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Pass => write!(f, "pass"),
            Verdict::NonStrict(why) => write!(f, "non-strict: {why}"),
            Verdict::Fail(why) => write!(f, "FAIL: {why}"),
        }
    }
}

/// A close frame with status 1000 (normal closure).
fn normal_close() -> Frame {
    let header = FrameHeader { opcode: OpCode::Control(Control::Close), ..FrameHeader::default() };
    Frame::from_payload(header, 1000u16.to_be_bytes().to_vec().into())
}
