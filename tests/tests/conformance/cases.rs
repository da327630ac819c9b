//! The cases: a port of the Autobahn|Testsuite "fuzzingclient" cases that apply to an endpoint
//! without extensions (sections 1-7 and part of 9; compression, 12 and 13, is not negotiated by
//! either endpoint). Case ids follow Autobahn's where a case is a direct port.

use tokio_tungstenite::tungstenite::protocol::frame::coding::{Control, Data as OpData, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::{Frame, FrameHeader};

/// The WebSocket message size limit both endpoints are configured with (ws-reliable's default).
pub(crate) const MAX_MESSAGE: usize = 2 << 20;

/// One step of a case, as the client performs it.
pub(crate) enum Step {
    /// An application message the endpoint must echo, sent in `frames` fragments, with a ping
    /// between the first two fragments when `ping_between` is set. For the reliable endpoint it
    /// travels inside a protocol `data` frame.
    Msg { text: bool, payload: Vec<u8>, frames: usize, ping_between: bool },
    /// A frame sent as it is (masked, as a client must), to both endpoints.
    Raw(Frame),
    /// A frame sent without a mask, which a server must refuse (RFC 6455 §5.1).
    Unmasked(Frame),
    /// From here on, write the bytes in pieces of this many bytes, each flushed on its own.
    Chop(usize),
}

/// What the endpoint must do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Expect {
    /// Echo every message, answer every ping with a pong of the same payload, then answer the
    /// client's closing handshake (code 1000).
    Echo,
    /// Fail the connection: a close frame with this code (strict), or at least a dropped
    /// connection (non-strict).
    Fail(u16),
    /// Answer the client's close frame with a close frame carrying this code (`None`: empty).
    CloseReply(Option<u16>),
}

/// One conformance case.
pub(crate) struct Case {
    pub(crate) id: String,
    pub(crate) steps: Vec<Step>,
    pub(crate) expect: Expect,
}

fn case(id: impl Into<String>, steps: Vec<Step>, expect: Expect) -> Case {
    Case { id: id.into(), steps, expect }
}

fn msg(text: bool, payload: impl Into<Vec<u8>>, frames: usize) -> Step {
    Step::Msg { text, payload: payload.into(), frames, ping_between: false }
}

fn frame(opcode: OpCode, fin: bool, payload: impl Into<Vec<u8>>) -> Frame {
    let header = FrameHeader { is_final: fin, opcode, ..FrameHeader::default() };
    Frame::from_payload(header, payload.into().into())
}

fn text(fin: bool, payload: impl Into<Vec<u8>>) -> Step {
    Step::Raw(frame(OpCode::Data(OpData::Text), fin, payload))
}

fn ping(payload: impl Into<Vec<u8>>) -> Step {
    Step::Raw(frame(OpCode::Control(Control::Ping), true, payload))
}

fn pong(payload: impl Into<Vec<u8>>) -> Step {
    Step::Raw(frame(OpCode::Control(Control::Pong), true, payload))
}

fn close_raw(payload: impl Into<Vec<u8>>) -> Step {
    Step::Raw(frame(OpCode::Control(Control::Close), true, payload))
}

fn close_code(code: u16, reason: &[u8]) -> Step {
    let mut payload = code.to_be_bytes().to_vec();
    payload.extend_from_slice(reason);
    close_raw(payload)
}

fn with_rsv(step: Step, rsv: u8) -> Step {
    let Step::Raw(mut f) = step else { return step };
    let h = f.header_mut();
    (h.rsv1, h.rsv2, h.rsv3) = (rsv & 4 != 0, rsv & 2 != 0, rsv & 1 != 0);
    Step::Raw(f)
}

/// Every case, in Autobahn's order.
pub(crate) fn all() -> Vec<Case> {
    let mut cases = framing();
    cases.extend(pings());
    cases.extend(reserved_bits());
    cases.extend(opcodes());
    cases.extend(fragmentation());
    cases.extend(utf8());
    cases.extend(close_handling());
    cases.extend(limits());
    cases
}

/// 1.1 text and 1.2 binary messages of the lengths around the frame-length encodings.
fn framing() -> Vec<Case> {
    let sizes = [0, 125, 126, 127, 128, 65535, 65536];
    let mut cases = Vec::new();
    for (section, is_text) in [("1.1", true), ("1.2", false)] {
        for (i, n) in sizes.iter().enumerate() {
            let payload = vec![if is_text { b'*' } else { 0xfe }; *n];
            cases.push(case(
                format!("{section}.{}", i + 1),
                vec![msg(is_text, payload, 1)],
                Expect::Echo,
            ));
        }
        let chopped = vec![Step::Chop(997), msg(is_text, vec![b'*'; 65536], 1)];
        cases.push(case(format!("{section}.8"), chopped, Expect::Echo));
    }
    cases
}

/// 2: pings and pongs.
fn pings() -> Vec<Case> {
    let binary: Vec<u8> = vec![0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff];
    let mut cases = vec![
        case("2.1", vec![ping("")], Expect::Echo),
        case("2.2", vec![ping("Hello, world!")], Expect::Echo),
        case("2.3", vec![ping(binary.clone())], Expect::Echo),
        case("2.4", vec![ping(vec![0xfe; 125])], Expect::Echo),
        case("2.5", vec![ping(vec![0xfe; 126])], Expect::Fail(1002)),
        case("2.6", vec![Step::Chop(1), ping(vec![0xfe; 125])], Expect::Echo),
        case("2.7", vec![pong("")], Expect::Echo),
        case("2.8", vec![pong("unsolicited pong payload")], Expect::Echo),
        case("2.9", vec![pong("unsolicited"), ping("solicited")], Expect::Echo),
    ];
    let ten = (0..10).map(|i| ping(format!("payload-{i}"))).collect();
    cases.push(case("2.10", ten, Expect::Echo));
    let mut chopped: Vec<Step> = (0..10).map(|i| ping(format!("payload-{i}"))).collect();
    chopped.insert(0, Step::Chop(1));
    cases.push(case("2.11", chopped, Expect::Echo));
    cases
}

/// 3: non-zero reserved bits, which no negotiated extension defines.
fn reserved_bits() -> Vec<Case> {
    let ok = || msg(true, "Hello, world!", 1);
    let bin = Step::Raw(frame(OpCode::Data(OpData::Binary), true, vec![0u8; 8]));
    let rows: Vec<(&str, Vec<Step>)> = vec![
        ("3.1", vec![with_rsv(text(true, "Hello, world!"), 4)]),
        ("3.2", vec![ok(), with_rsv(text(true, "Hello, world!"), 2), ping("")]),
        ("3.3", vec![ok(), with_rsv(text(true, "Hello, world!"), 6), ping("")]),
        ("3.4", vec![Step::Chop(1), ok(), with_rsv(text(true, "Hello"), 1), ping("")]),
        ("3.5", vec![with_rsv(bin, 5)]),
        ("3.6", vec![with_rsv(ping("Hello"), 3)]),
        ("3.7", vec![with_rsv(close_code(1000, b""), 7)]),
    ];
    rows.into_iter().map(|(id, steps)| case(id, steps, Expect::Fail(1002))).collect()
}

/// 4: reserved opcodes, data (3-7) and control (11-15).
fn opcodes() -> Vec<Case> {
    let mut cases = Vec::new();
    for (i, op) in (3u8..=7).enumerate() {
        let steps = vec![
            msg(true, "Hello", 1),
            Step::Raw(frame(OpCode::Data(OpData::Reserved(op)), true, "")),
            ping(""),
        ];
        cases.push(case(format!("4.1.{}", i + 1), steps, Expect::Fail(1002)));
    }
    for (i, op) in (11u8..=15).enumerate() {
        let reserved = frame(OpCode::Control(Control::Reserved(op)), true, "payload");
        let steps = vec![msg(true, "Hello", 1), Step::Raw(reserved), ping("")];
        cases.push(case(format!("4.2.{}", i + 1), steps, Expect::Fail(1002)));
    }
    cases
}

/// 5: fragmentation.
fn fragmentation() -> Vec<Case> {
    let cont = |fin, p: &str| Step::Raw(frame(OpCode::Data(OpData::Continue), fin, p));
    let ping_frag = Step::Raw(frame(OpCode::Control(Control::Ping), false, "fragment1"));
    let pong_frag = Step::Raw(frame(OpCode::Control(Control::Pong), false, "fragment1"));
    let between = |frames| Step::Msg {
        text: true,
        payload: b"fragment1fragment2".to_vec(),
        frames,
        ping_between: true,
    };
    let fail = |id: &str, steps| case(id, steps, Expect::Fail(1002));
    vec![
        fail("5.1", vec![ping_frag]),
        fail("5.2", vec![pong_frag]),
        case("5.3", vec![msg(true, "fragment1fragment2", 2)], Expect::Echo),
        case("5.4", vec![Step::Chop(1), msg(true, "fragment1fragment2", 2)], Expect::Echo),
        case("5.5", vec![msg(true, "a fragmented message in five frames", 5)], Expect::Echo),
        case("5.6", vec![between(2)], Expect::Echo),
        case("5.7", vec![Step::Chop(1), between(2)], Expect::Echo),
        case("5.8", vec![between(4)], Expect::Echo),
        fail("5.9", vec![cont(true, "fragment2"), msg(true, "Hello", 1)]),
        fail("5.10", vec![cont(false, "fragment2"), msg(true, "Hello", 1)]),
        fail("5.11", vec![Step::Chop(1), cont(true, "fragment2"), msg(true, "Hello", 1)]),
        fail(
            "5.15",
            vec![
                msg(true, "fragment1fragment2", 2),
                cont(false, "fragment3"),
                text(true, "fragment4"),
            ],
        ),
        fail("5.16", vec![text(false, "fragment1"), text(true, "fragment2")]),
        fail("5.17", vec![text(false, "fragment1"), text(false, "fragment2")]),
        case("5.19", vec![msg(true, vec![b'x'; 5000], 5)], Expect::Echo),
    ]
}

/// 6: UTF-8 handling. Valid texts are echoed (also split inside a code point); invalid ones
/// fail the connection with 1007, whole or fragmented.
fn utf8() -> Vec<Case> {
    let valid: [&str; 5] =
        ["", "Hello-µ@ßöäüàá-UTF-8!!", "κόσμε", "\u{10ffff}\u{7f}\u{7ff}\u{ffff}", "𝄞 clef and €"];
    let mut cases = Vec::new();
    for (i, s) in valid.iter().enumerate() {
        cases.push(case(format!("6.2.{}", i + 1), vec![msg(true, *s, 1)], Expect::Echo));
        let frames = s.len().clamp(1, 7);
        cases.push(case(format!("6.4.{}", i + 1), vec![msg(true, *s, frames)], Expect::Echo));
    }
    let invalid: [&[u8]; 8] = [
        b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64",
        b"\x80",
        b"\xc0\xaf",
        b"\xed\xa0\x80",
        b"\xf4\x90\x80\x80",
        b"\xfe",
        b"Hello\xc3",
        b"\xf8\x88\x80\x80\x80",
    ];
    for (i, bytes) in invalid.iter().enumerate() {
        cases.push(case(format!("6.3.{}", i + 1), vec![text(true, *bytes)], Expect::Fail(1007)));
        let (a, b) = bytes.split_at(bytes.len() / 2);
        let cont = Step::Raw(frame(OpCode::Data(OpData::Continue), true, b.to_vec()));
        cases.push(case(
            format!("6.6.{}", i + 1),
            vec![text(false, a.to_vec()), cont],
            Expect::Fail(1007),
        ));
    }
    cases
}

/// 7: the closing handshake.
fn close_handling() -> Vec<Case> {
    let mut cases = vec![
        case("7.1.1", vec![msg(true, "Hello World!", 1)], Expect::Echo),
        case(
            "7.1.2",
            vec![close_code(1000, b""), close_code(1000, b"")],
            Expect::CloseReply(Some(1000)),
        ),
        case(
            "7.1.3",
            vec![close_code(1000, b""), ping("after close")],
            Expect::CloseReply(Some(1000)),
        ),
        case(
            "7.1.4",
            vec![close_code(1000, b""), text(true, "after close")],
            Expect::CloseReply(Some(1000)),
        ),
        case("7.3.1", vec![close_raw("")], Expect::CloseReply(None)),
        case("7.3.2", vec![close_raw("a")], Expect::Fail(1002)),
        case("7.3.3", vec![close_code(1000, b"")], Expect::CloseReply(Some(1000))),
        case("7.3.4", vec![close_code(1000, b"Hello World!")], Expect::CloseReply(Some(1000))),
        case("7.3.5", vec![close_code(1000, &[b'*'; 123])], Expect::CloseReply(Some(1000))),
        case("7.3.6", vec![close_code(1000, &[b'*'; 124])], Expect::Fail(1002)),
        case(
            "7.5.1",
            vec![close_code(1000, b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80")],
            Expect::Fail(1007),
        ),
    ];
    let valid = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999];
    for (i, code) in valid.iter().enumerate() {
        cases.push(case(
            format!("7.7.{}", i + 1),
            vec![close_code(*code, b"")],
            Expect::CloseReply(Some(*code)),
        ));
    }
    let invalid = [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999];
    for (i, code) in invalid.iter().enumerate() {
        cases.push(case(
            format!("7.9.{}", i + 1),
            vec![close_code(*code, b"")],
            Expect::Fail(1002),
        ));
    }
    cases
}

/// 9 (part): large messages, and the message size limit (1009), which Autobahn leaves to the
/// endpoint's configuration. Plus an unmasked client frame (RFC 6455 §5.1), not in Autobahn.
fn limits() -> Vec<Case> {
    let over = MAX_MESSAGE + 1024;
    let unmasked = Step::Unmasked(frame(OpCode::Data(OpData::Text), true, "unmasked"));
    vec![
        case("9.1.1", vec![msg(true, vec![b'*'; 64 << 10], 1)], Expect::Echo),
        case("9.1.2", vec![msg(true, vec![b'*'; 256 << 10], 1)], Expect::Echo),
        case("9.2.1", vec![msg(false, vec![0xfe; 256 << 10], 1)], Expect::Echo),
        case("9.2.2", vec![msg(false, vec![0xfe; 256 << 10], 64)], Expect::Echo),
        case("9.9.1", vec![text(true, vec![b'*'; over])], Expect::Fail(1009)),
        case(
            "9.9.2",
            vec![
                text(false, vec![b'*'; over / 2]),
                Step::Raw(frame(OpCode::Data(OpData::Continue), true, vec![b'*'; over / 2])),
            ],
            Expect::Fail(1009),
        ),
        case("9.9.3", vec![unmasked], Expect::Fail(1002)),
    ]
}
