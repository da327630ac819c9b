//! The seed corpus: every frame kind, taken from a real exchange between two sessions (data,
//! ids, streams with their digest, state messages, acks, the close marker) plus the control
//! frames the server and client handshakes send, each encoded in both codecs.

use std::time::{Duration, Instant};

use ws_proto::{
    Config, Data, ErrorFrame, Frame, Hello, LostReason, Payload, Refresh, RefreshRequest, Resume,
    Session, SessionLost, StreamTx, Transmit, Welcome, binary, json,
};

/// The seeds' frames.
pub(crate) fn frames() -> Vec<Frame> {
    let mut frames = control_frames();
    frames.extend(session_traffic());
    frames
}

/// Binary encodings of every seed frame.
pub(crate) fn binary_seeds() -> Vec<Vec<u8>> {
    frames().iter().map(|f| binary::encode(f).to_vec()).collect()
}

/// JSON encodings of every seed frame.
pub(crate) fn json_seeds() -> Vec<Vec<u8>> {
    frames().iter().map(|f| json::encode(f).into_bytes()).collect()
}

fn control_frames() -> Vec<Frame> {
    let resume = Resume { session: "s-1f".into(), token: "t0k3n".into(), last_received: 300 };
    vec![
        Frame::Hello(Hello { resume: None }),
        Frame::Hello(Hello { resume: Some(resume) }),
        Frame::Welcome(Welcome {
            session: "s-1f".into(),
            token: "t0k3n".into(),
            resumed: true,
            last_received: 7,
            resume_window_ms: 120_000,
        }),
        Frame::Error(ErrorFrame { code: 4004, message: "sequence gap: expected 8, got 9".into() }),
        Frame::SessionLost(SessionLost { reason: LostReason::Expired, message: "expired".into() }),
        Frame::RefreshRequest(RefreshRequest { deadline_ms: 40_000 }),
        Frame::Refresh(Refresh { token: "eyJhbGciOiJIUzI1NiJ9.e30.sig".into() }),
    ]
}

/// Every frame `a` transmits while it sends a mixed workload to `b`, and `b`'s acks.
fn session_traffic() -> Vec<Frame> {
    let now = Instant::now();
    let config = Config::default().acks(Duration::ZERO, 1, 1);
    let (Ok(mut a), Ok(mut b)) = (Session::new(config.clone(), now), Session::new(config, now))
    else {
        panic!("the default config is valid");
    };
    a.attach(0, now).expect("attach");
    b.attach(0, now).expect("attach");
    for data in workload() {
        a.send(data).expect("send");
    }
    a.close().expect("close");
    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.extend(exchange(&mut a, &mut b, now));
        seen.extend(exchange(&mut b, &mut a, now));
    }
    seen
}

fn workload() -> Vec<Data> {
    let mut out = vec![Data::new("hello"), Data::new(vec![0u8, 1, 2, 255]), Data::new("")];
    let mut with_id = Data::new("{\"op\":\"buy\",\"qty\":3}");
    with_id.id = Some("order-42".into());
    out.push(with_id);
    let mut tx = StreamTx::new("tokens");
    for (i, token) in ["The", " answer", " is", " 42"].iter().enumerate() {
        let payload = Payload::from(*token);
        let mut chunk = Data::new(payload.clone());
        chunk.stream = Some(tx.part(&payload, i == 3).expect("stream part"));
        out.push(chunk);
    }
    let mut state = Data::new("{\"sync\":{\"version\":3}}");
    state.state = true;
    out.push(state);
    out.push(Data::new("x".repeat(300)));
    out
}

fn exchange(from: &mut Session, to: &mut Session, now: Instant) -> Vec<Frame> {
    let mut seen = Vec::new();
    while let Some(t) = from.poll_transmit(now) {
        if let Transmit::Frame(frame) = t {
            let _ = to.handle_frame(frame.clone(), now);
            seen.push(frame);
        }
    }
    while to.poll_event(now).is_some() {}
    seen
}
