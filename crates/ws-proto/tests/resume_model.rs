//! Model test: two sessions over a link that loses everything in flight whenever it is cut.
//! Whatever the interleaving of sends, partial transmissions, cuts and resumes, each side
//! ends up having delivered exactly what the other sent, in order, once.
#![allow(clippy::unwrap_used)]

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use ws_proto::{Config, Data, Event, Frame, Payload, Session, Transmit};

#[derive(Clone, Debug)]
enum Op {
    Send(usize, u8),
    Transmit(usize, u8),
    Deliver(usize, u8),
    Consume(usize, u8),
    Cut,
    Advance(u16),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..2usize, 1..8u8).prop_map(|(s, n)| Op::Send(s, n)),
        (0..2usize, 1..8u8).prop_map(|(s, n)| Op::Transmit(s, n)),
        (0..2usize, 1..8u8).prop_map(|(s, n)| Op::Deliver(s, n)),
        (0..2usize, 1..8u8).prop_map(|(s, n)| Op::Consume(s, n)),
        Just(Op::Cut),
        (0..50u16).prop_map(Op::Advance),
    ]
}

struct World {
    sides: [Session; 2],
    wire: [VecDeque<Frame>; 2],
    sent: [Vec<String>; 2],
    got: [Vec<String>; 2],
    now: Instant,
}

impl World {
    fn new(config: Config) -> Self {
        let now = Instant::now();
        let mut a = Session::new(config.clone(), now).unwrap();
        let mut b = Session::new(config, now).unwrap();
        a.attach(0, now).unwrap();
        b.attach(0, now).unwrap();
        World {
            sides: [a, b],
            wire: Default::default(),
            sent: Default::default(),
            got: Default::default(),
            now,
        }
    }

    fn apply(&mut self, op: &Op) {
        match *op {
            Op::Send(s, n) => self.send(s, n),
            Op::Transmit(s, n) => self.transmit(s, usize::from(n)),
            Op::Deliver(s, n) => self.deliver(s, usize::from(n)),
            Op::Consume(s, n) => self.consume(s, usize::from(n)),
            Op::Cut => self.cut(),
            Op::Advance(ms) => {
                self.now += Duration::from_millis(u64::from(ms));
                self.sides.iter_mut().for_each(|side| side.handle_timeout(self.now));
            }
        }
    }

    fn send(&mut self, s: usize, n: u8) {
        for _ in 0..n {
            let text = format!("{s}-{}", self.sent[s].len());
            if self.sides[s].send(Data::new(text.clone())).is_ok() {
                self.sent[s].push(text);
            }
        }
    }

    fn transmit(&mut self, s: usize, n: usize) {
        for _ in 0..n {
            match self.sides[s].poll_transmit(self.now) {
                Some(Transmit::Frame(frame)) => self.wire[s].push_back(frame),
                Some(Transmit::Ping) => {}
                None => return,
            }
        }
    }

    fn deliver(&mut self, s: usize, n: usize) {
        let peer = 1 - s;
        for _ in 0..n {
            let Some(frame) = self.wire[s].pop_front() else { return };
            self.sides[peer].handle_frame(frame, self.now).unwrap();
        }
    }

    /// The application on side `s` takes up to `n` messages (a slow consumer takes few).
    fn consume(&mut self, s: usize, n: usize) {
        for _ in 0..n {
            let Some(event) = self.sides[s].poll_event(self.now) else { return };
            let Event::Message(Data { payload: Payload::Text(t), .. }) = event else {
                panic!("unexpected event {event:?}");
            };
            self.got[s].push(t);
        }
    }

    fn cut(&mut self) {
        self.wire = Default::default();
        let now = self.now;
        self.sides.iter_mut().for_each(|side| side.detach(now));
        let last = [self.sides[0].last_received(), self.sides[1].last_received()];
        self.sides[0].attach(last[1], now).unwrap();
        self.sides[1].attach(last[0], now).unwrap();
    }

    fn settle(&mut self) {
        self.cut();
        for _ in 0..100 {
            self.now += Duration::from_millis(20);
            for s in 0..2 {
                self.transmit(s, usize::MAX);
                self.deliver(s, usize::MAX);
                self.consume(1 - s, usize::MAX);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn delivered_equals_sent_in_order_exactly_once(ops in proptest::collection::vec(op(), 0..120)) {
        let config = Config::default().buffer(4, 1 << 20).acks(Duration::from_millis(5), 4, 1 << 20);
        let mut world = World::new(config);
        for op in &ops {
            world.apply(op);
            for side in &world.sides {
                // The replay buffer bound holds, and a receiver holds at most one window of
                // unconsumed messages: backpressure survives cuts.
                prop_assert!(side.buffered().0 <= 4);
                prop_assert!(side.pending_events() <= 4);
            }
        }
        world.settle();
        prop_assert_eq!(&world.got[1], &world.sent[0]);
        prop_assert_eq!(&world.got[0], &world.sent[1]);
        for side in &world.sides {
            prop_assert_eq!(side.buffered(), (0, 0), "everything acked frees the buffer");
        }
    }
}
