use std::time::{Duration, Instant};

use bytes::Bytes;
use proptest::prelude::*;

use super::*;

fn attached_pair(config: Config, now: Instant) -> (Session, Session) {
    let mut a = Session::new(config.clone(), now).unwrap();
    let mut b = Session::new(config, now).unwrap();
    a.attach(0, now).unwrap();
    b.attach(0, now).unwrap();
    (a, b)
}

/// Moves every frame `from` wants to send into `to`, returning how many data and ack frames
/// crossed.
fn pump(from: &mut Session, to: &mut Session, now: Instant) -> (usize, usize) {
    let (mut data, mut acks) = (0, 0);
    while let Some(t) = from.poll_transmit(now) {
        let Transmit::Frame(frame) = t else { continue };
        data += usize::from(matches!(frame, Frame::Data(_)));
        acks += usize::from(matches!(frame, Frame::Ack(_)));
        let wire = binary::encode(&frame);
        to.handle_frame(binary::decode(&wire).unwrap(), now).unwrap();
    }
    (data, acks)
}

fn messages(s: &mut Session, now: Instant) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(event) = s.poll_event(now) {
        if let Event::Message(Data { payload: Payload::Text(t), .. }) = event {
            out.push(t);
        }
    }
    out
}

#[test]
fn delivers_in_order_and_coalesces_acks() {
    let now = Instant::now();
    let (mut a, mut b) = attached_pair(Config::default(), now);
    for i in 0..200 {
        a.send(Data::new(format!("m{i}"))).unwrap();
    }
    assert_eq!(pump(&mut a, &mut b, now), (200, 0));
    let got = messages(&mut b, now);
    assert_eq!(got.len(), 200);
    assert_eq!(got[199], "m199");
    let (_, acks) = pump(&mut b, &mut a, now);
    assert_eq!(acks, 1, "one cumulative ack covers the whole burst");
    assert_eq!(a.acked(), 200);
    assert_eq!(a.buffered(), (0, 0));
}

#[test]
fn a_trickle_is_acked_after_the_delay() {
    let now = Instant::now();
    let (mut a, mut b) = attached_pair(Config::default(), now);
    for i in 0..10 {
        a.send(Data::new(format!("m{i}"))).unwrap();
    }
    pump(&mut a, &mut b, now);
    assert_eq!(messages(&mut b, now).len(), 10);
    assert_eq!(pump(&mut b, &mut a, now), (0, 0), "below the thresholds the ack waits");
    assert_eq!(b.poll_timeout(), Some(now + Duration::from_millis(10)));
    assert_eq!(pump(&mut b, &mut a, now + Duration::from_millis(10)), (0, 1));
    assert_eq!(a.acked(), 10);
}

#[test]
fn resume_retransmits_exactly_the_missing_frames() {
    let now = Instant::now();
    let (mut a, mut b) = attached_pair(Config::default(), now);
    for i in 0..10 {
        a.send(Data::new(format!("m{i}"))).unwrap();
    }
    // Four frames arrive, the rest die with the connection.
    for _ in 0..4 {
        let Some(Transmit::Frame(f)) = a.poll_transmit(now) else { panic!() };
        b.handle_frame(f, now).unwrap();
    }
    while a.poll_transmit(now).is_some() {}
    a.detach(now);
    b.detach(now);
    a.attach(b.last_received(), now).unwrap();
    b.attach(a.last_received(), now).unwrap();
    pump(&mut a, &mut b, now);
    let got = messages(&mut b, now);
    assert_eq!(got, (0..10).map(|i| format!("m{i}")).collect::<Vec<_>>());
    assert_eq!(a.stats().retransmitted, 6);
    assert_eq!(b.stats().duplicates, 0);
}

#[track_caller]
fn check_peer_error(frame: Frame, expected: ErrorCode, phase_after: Phase) {
    let now = Instant::now();
    let (mut a, _) = attached_pair(Config::default(), now);
    a.send(Data::new("x")).unwrap();
    a.poll_transmit(now);
    let err = a.handle_frame(frame, now).unwrap_err();
    assert_eq!(err.code(), expected, "{err}");
    assert_eq!(a.phase(), phase_after);
}

#[test]
fn bad_peer_input_is_a_typed_error() {
    // A bad ack or a gap costs the connection only: a resume repairs it.
    check_peer_error(Frame::Ack(Ack { up_to: 2 }), ErrorCode::AckBeyondSent, Phase::Attached);
    let gap = Data { seq: 3, ..Data::new("late") };
    check_peer_error(Frame::Data(gap), ErrorCode::SequenceGap, Phase::Attached);
    let mut bad_stream = Data::new("chunk");
    bad_stream.seq = 1;
    bad_stream.stream = Some(StreamPart { id: "s".into(), index: 5, last: false, digest: None });
    // A replay would repeat a bad stream chunk: the session ends, explicitly.
    let ended = Phase::Ended(LostReason::ProtocolViolation);
    check_peer_error(Frame::Data(bad_stream), ErrorCode::BadStream, ended);
}

#[test]
fn replay_overlap_is_dropped_and_acked_at_once() {
    let now = Instant::now();
    let (mut a, mut b) = attached_pair(Config::default(), now);
    a.send(Data::new("once")).unwrap();
    let Some(Transmit::Frame(f)) = a.poll_transmit(now) else { panic!() };
    b.handle_frame(f.clone(), now).unwrap();
    assert_eq!(messages(&mut b, now), vec!["once".to_owned()]);
    b.handle_frame(f, now).unwrap();
    assert_eq!(messages(&mut b, now), Vec::<String>::new());
    assert_eq!(b.stats().duplicates, 1);
    assert_eq!(b.poll_transmit(now), Some(Transmit::Frame(Frame::Ack(Ack { up_to: 1 }))));
}

#[test]
fn full_buffer_is_backpressure_until_acked() {
    let now = Instant::now();
    let (mut a, mut b) = attached_pair(Config::default().buffer(3, 1 << 20), now);
    for _ in 0..3 {
        a.send(Data::new("x")).unwrap();
    }
    assert!(matches!(a.send(Data::new("x")), Err(Error::Full { messages: 3, .. })));
    pump(&mut a, &mut b, now);
    let later = now + Duration::from_secs(1);
    assert_eq!(pump(&mut b, &mut a, later), (0, 0), "nothing consumed, nothing acked");
    assert!(a.send(Data::new("x")).is_err(), "a slow consumer holds the sender back");
    assert_eq!(messages(&mut b, later).len(), 3);
    pump(&mut b, &mut a, later + Duration::from_secs(1));
    assert_eq!(a.send(Data::new("x")).unwrap(), 4);
}

#[test]
fn silent_peer_detaches_then_expires() {
    let t0 = Instant::now();
    let config = Config::default().heartbeat(Duration::from_secs(25), Duration::from_secs(10));
    let (mut a, _) = attached_pair(config.resume_window(Duration::from_secs(120)), t0);
    assert_eq!(a.poll_transmit(t0 + Duration::from_secs(25)), Some(Transmit::Ping));
    let silent_at = a.poll_timeout().unwrap();
    assert_eq!(silent_at, t0 + Duration::from_secs(35));
    a.handle_timeout(silent_at);
    assert_eq!(a.poll_event(t0), Some(Event::PeerSilent));
    assert_eq!(a.poll_timeout(), Some(silent_at + Duration::from_secs(120)));
    a.handle_timeout(silent_at + Duration::from_secs(120));
    assert_eq!(a.poll_event(t0), Some(Event::Lost(LostReason::Expired)));
    assert_eq!(a.send(Data::new("x")), Err(Error::Ended));
}

#[test]
fn stream_digest_is_verified() {
    let now = Instant::now();
    let (mut a, mut b) = attached_pair(Config::default(), now);
    let mut tx = StreamTx::new("answer");
    for (i, word) in ["to", "be", "sure"].iter().enumerate() {
        let payload = Payload::from(*word);
        let part = tx.part(&payload, i == 2).unwrap();
        a.send(Data { stream: Some(part), ..Data::new(payload) }).unwrap();
    }
    assert!(tx.part(&Payload::from("more"), false).is_err());
    pump(&mut a, &mut b, now);
    let statuses: Vec<_> = std::iter::from_fn(|| b.poll_event(now))
        .map(|e| match e {
            Event::Chunk(_, status) => status,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(statuses, [ChunkStatus::More, ChunkStatus::More, ChunkStatus::Complete]);
}

#[test]
fn corrupted_stream_is_reported() {
    let mut rx = StreamRx::new(4);
    let part = StreamPart { id: "s".into(), index: 0, last: true, digest: Some([0; 32]) };
    assert_eq!(rx.accept(&part, &Payload::from("x")).unwrap(), ChunkStatus::Corrupted);
}

fn arb_payload() -> impl Strategy<Value = Payload> {
    prop_oneof![
        ".{0,40}".prop_map(Payload::Text),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(|v| Payload::Binary(Bytes::from(v))),
    ]
}

fn arb_data() -> impl Strategy<Value = Data> {
    let stream = (".{0,8}", any::<u64>(), any::<bool>(), proptest::option::of(any::<[u8; 32]>()))
        .prop_map(|(id, index, last, digest)| StreamPart {
            id,
            index,
            last,
            digest: digest.filter(|_| last),
        });
    (
        any::<u64>(),
        proptest::option::of(".{0,8}"),
        proptest::option::of(stream),
        arb_payload(),
        any::<bool>(),
    )
        .prop_map(|(seq, id, stream, payload, state)| Data {
            seq,
            id,
            stream,
            payload,
            state,
            fin: seq % 7 == 0,
        })
}

fn arb_frame() -> impl Strategy<Value = Frame> {
    let resume = (".{0,8}", ".{0,8}", any::<u64>())
        .prop_map(|(session, token, last_received)| Resume { session, token, last_received });
    prop_oneof![
        arb_data().prop_map(Frame::Data),
        any::<u64>().prop_map(|up_to| Frame::Ack(Ack { up_to })),
        proptest::option::of(resume).prop_map(|resume| Frame::Hello(Hello { resume })),
        (".{0,8}", any::<bool>(), any::<u64>()).prop_map(
            |(session, resumed, last)| Frame::Welcome(Welcome {
                token: session.clone(),
                session,
                resumed,
                last_received: last,
                resume_window_ms: 120_000,
            })
        ),
        (any::<u16>(), ".{0,20}")
            .prop_map(|(code, message)| Frame::Error(ErrorFrame { code, message })),
        Just(Frame::SessionLost(SessionLost {
            reason: LostReason::BufferOverflow,
            message: "m".into()
        })),
        any::<u64>().prop_map(|deadline_ms| Frame::RefreshRequest(RefreshRequest { deadline_ms })),
        ".{0,20}".prop_map(|token| Frame::Refresh(Refresh { token })),
    ]
}

proptest! {
    #[test]
    fn every_frame_round_trips_in_both_codecs(frame in arb_frame()) {
        prop_assert_eq!(&json::decode(&json::encode(&frame)).unwrap(), &frame);
        prop_assert_eq!(&binary::decode(&binary::encode(&frame)).unwrap(), &frame);
    }

    #[test]
    fn decoding_arbitrary_input_never_panics(raw in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = binary::decode(&Bytes::from(raw.clone()));
        let _ = json::decode(&String::from_utf8_lossy(&raw));
    }

    #[test]
    fn mutated_frames_never_panic(frame in arb_frame(), at in any::<usize>(), byte in any::<u8>()) {
        let mut wire = binary::encode(&frame).to_vec();
        let i = at % wire.len();
        wire[i] = byte;
        let _ = binary::decode(&Bytes::from(wire));
    }
}

#[test]
fn state_messages_bypass_the_application_queue() {
    let now = Instant::now();
    let (mut a, mut b) = attached_pair(Config::default(), now);
    a.send(Data::new("app")).unwrap();
    a.send(Data { state: true, ..Data::new("{\"sync\":{\"version\":0}}") }).unwrap();
    pump(&mut a, &mut b, now);
    let state = b.poll_state(now).unwrap();
    assert_eq!((state.seq, state.state), (2, true));
    assert_eq!(messages(&mut b, now), vec!["app".to_owned()]);
    assert_eq!(b.poll_state(now), None);
}

#[test]
fn heartbeats_can_be_switched_off() {
    let t0 = Instant::now();
    let (mut a, _) = attached_pair(Config::default().without_heartbeat(), t0);
    assert_eq!(a.poll_timeout(), None, "no deadline at all while idle");
    let much_later = t0 + Duration::from_secs(3600);
    assert_eq!(a.poll_transmit(much_later), None, "no ping");
    a.handle_timeout(much_later);
    assert_eq!(a.phase(), Phase::Attached, "never declared silent");
}

#[test]
fn a_closing_connection_acks_what_was_consumed() {
    let now = Instant::now();
    let (mut a, mut b) = attached_pair(Config::default(), now);
    a.send(Data::new("one")).unwrap();
    pump(&mut a, &mut b, now);
    assert_eq!(b.final_ack(), None, "nothing consumed yet");
    assert_eq!(messages(&mut b, now).len(), 1);
    assert_eq!(b.final_ack(), Some(Frame::Ack(Ack { up_to: 1 })), "no waiting for the delay");
    assert_eq!(b.final_ack(), None, "once");
}

#[test]
fn oversized_payloads_and_ids_are_refused_at_send() {
    let now = Instant::now();
    let (mut a, _) = attached_pair(Config { max_payload: 10, ..Config::default() }, now);
    assert!(matches!(
        a.send(Data::new("01234567890")),
        Err(Error::TooLarge { size: 11, limit: 10 })
    ));
    let long_id = Data { id: Some("x".repeat(MAX_ID_LEN + 1)), ..Data::new("ok") };
    assert!(matches!(a.send(long_id), Err(Error::IdTooLong { .. })));
    assert_eq!(a.buffered(), (0, 0), "nothing was queued");
    assert_eq!(a.send(Data::new("0123456789")).unwrap(), 1);
}

#[test]
fn a_received_payload_over_our_own_send_limit_ends_the_session() {
    let now = Instant::now();
    let config = Config { max_payload: 10, ..Config::default() };
    let (mut a, _) = attached_pair(config, now);
    let at_limit = Data { seq: 1, ..Data::new("0123456789") };
    assert_eq!(a.handle_frame(Frame::Data(at_limit), now).unwrap(), None);
    let over = Data { seq: 2, ..Data::new("01234567890") };
    let err = a.handle_frame(Frame::Data(over), now).unwrap_err();
    assert!(matches!(err, Error::TooLarge { size: 11, limit: 10 }), "{err}");
    assert_eq!(a.phase(), Phase::Ended(LostReason::ProtocolViolation));
    let told = a.poll_transmit(now);
    assert!(matches!(told, Some(Transmit::Frame(Frame::SessionLost(_)))), "{told:?}");
}

#[test]
fn close_is_a_handshake_that_survives_a_cut() {
    let now = Instant::now();
    let (mut a, mut b) = attached_pair(Config::default(), now);
    a.send(Data::new("last words")).unwrap();
    let fin = a.close().unwrap();
    assert_eq!(a.close().unwrap(), fin, "idempotent");
    assert_eq!(a.send(Data::new("too late")), Err(Error::Ended));
    // The data and the marker arrive, but the connection dies before the ack does.
    pump(&mut a, &mut b, now);
    assert_eq!(messages(&mut b, now), vec!["last words".to_owned()]);
    assert!(matches!(
        b.poll_transmit(now + Duration::from_millis(10)),
        Some(Transmit::Frame(Frame::Ack(_)))
    ));
    assert_eq!(b.phase(), Phase::Ended(LostReason::Closed), "the receiver ends once it acked");
    assert_eq!(a.phase(), Phase::Attached, "the closer waits for that ack");
    a.detach(now);
    a.attach(1, now).unwrap();
    // A resume against a fresh peer that never saw the marker retransmits it.
    let mut c = Session::new(Config::default(), now).unwrap();
    c.attach(0, now).unwrap();
    let mut a2 = Session::new(Config::default(), now).unwrap();
    a2.attach(0, now).unwrap();
    a2.close().unwrap();
    a2.detach(now);
    a2.attach(0, now).unwrap();
    pump(&mut a2, &mut c, now);
    assert_eq!(
        c.poll_transmit(now + Duration::from_millis(10)),
        Some(Transmit::Frame(Frame::Ack(Ack { up_to: 1 })))
    );
    a2.handle_frame(Frame::Ack(Ack { up_to: 1 }), now).unwrap();
    assert_eq!(a2.phase(), Phase::Ended(LostReason::Closed));
    assert_eq!(a2.poll_event(now), Some(Event::Lost(LostReason::Closed)));
}

#[test]
fn a_goodbye_ack_of_the_peers_close_ends_the_session() {
    let now = Instant::now();
    let (mut a, mut b) = attached_pair(Config::default(), now);
    a.close().unwrap();
    pump(&mut a, &mut b, now);
    assert_eq!(b.phase(), Phase::Attached, "the ack of the marker is still delayed");
    assert_eq!(b.final_ack(), Some(Frame::Ack(Ack { up_to: 1 })));
    assert_eq!(b.phase(), Phase::Ended(LostReason::Closed), "the connection closing acked it");
}

#[test]
fn overlong_varints_are_malformed() {
    // 0 as one byte is an ack; the same value padded to two bytes is not.
    assert_eq!(binary::decode(&Bytes::from_static(&[2, 0])).unwrap(), Frame::Ack(Ack { up_to: 0 }));
    assert!(matches!(binary::decode(&Bytes::from_static(&[2, 0x80, 0])), Err(Error::Malformed(_))));
    assert!(matches!(binary::decode(&Bytes::from_static(&[2, 0xff, 0])), Err(Error::Malformed(_))));
    // 128 needs its second byte.
    assert_eq!(
        binary::decode(&Bytes::from_static(&[2, 0x80, 1])).unwrap(),
        Frame::Ack(Ack { up_to: 128 })
    );
}
