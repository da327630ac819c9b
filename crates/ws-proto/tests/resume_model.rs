//! Model test: two sessions over a link that loses everything in flight whenever it is cut.
//! Whatever the interleaving of sends, partial transmissions, slow consumption, cuts, resumes
//! and closes, each side ends up having delivered exactly what the other sent, in order, once
//! (only a close may cut the other direction short, and then both sides end `Closed`).
#![allow(clippy::unwrap_used)]

#[path = "common/link.rs"]
mod link;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use ws_proto::{Config, Data, Event, Frame, LostReason, Payload, Phase, Session};

#[derive(Clone, Debug)]
enum Op {
    Send(usize, u8),
    Transmit(usize, u8),
    Deliver(usize, u8),
    Consume(usize, u8),
    Cut,
    Advance(u16),
    Close(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..2usize, 1..8u8).prop_map(|(s, n)| Op::Send(s, n)),
        4 => (0..2usize, 1..8u8).prop_map(|(s, n)| Op::Transmit(s, n)),
        4 => (0..2usize, 1..8u8).prop_map(|(s, n)| Op::Deliver(s, n)),
        4 => (0..2usize, 1..8u8).prop_map(|(s, n)| Op::Consume(s, n)),
        4 => Just(Op::Cut),
        4 => (0..50u16).prop_map(Op::Advance),
        1 => (0..2usize).prop_map(Op::Close),
    ]
}

struct World {
    sides: [Session; 2],
    wire: [VecDeque<Frame>; 2],
    sent: [Vec<String>; 2],
    got: [Vec<String>; 2],
    closed: [bool; 2],
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
            closed: [false; 2],
            now,
        }
    }

    fn apply(&mut self, op: &Op) {
        match *op {
            Op::Send(s, n) => link::send(&mut self.sides[s], s, n, &mut self.sent[s]),
            Op::Transmit(s, n) => self.transmit(s, usize::from(n)),
            Op::Deliver(s, n) => self.deliver(s, usize::from(n)),
            Op::Consume(s, n) => self.consume(s, usize::from(n)),
            Op::Cut => self.cut(),
            Op::Close(s) => {
                // `Full` (the buffer bound) just means the application retries later.
                self.closed[s] |= self.sides[s].close().is_ok();
            }
            Op::Advance(ms) => {
                self.now += Duration::from_millis(u64::from(ms));
                self.sides.iter_mut().for_each(|side| side.handle_timeout(self.now));
            }
        }
    }

    fn transmit(&mut self, s: usize, n: usize) {
        link::transmit(&mut self.sides[s], &mut self.wire[s], n, self.now);
    }

    fn deliver(&mut self, s: usize, n: usize) {
        let peer = 1 - s;
        for _ in 0..n {
            let Some(frame) = self.wire[s].pop_front() else { return };
            if ended(&self.sides[peer]) {
                // The driver would have closed this connection: the frame goes nowhere.
                continue;
            }
            self.sides[peer].handle_frame(frame, self.now).unwrap();
        }
    }

    /// The application on side `s` takes up to `n` messages (a slow consumer takes few).
    fn consume(&mut self, s: usize, n: usize) {
        for _ in 0..n {
            match self.sides[s].poll_event(self.now) {
                None => return,
                Some(Event::Message(Data { payload: Payload::Text(t), .. })) => self.got[s].push(t),
                Some(Event::Lost(LostReason::Closed)) => {}
                Some(other) => panic!("unexpected event {other:?}"),
            }
        }
    }

    fn cut(&mut self) {
        self.wire = Default::default();
        let now = self.now;
        self.sides.iter_mut().for_each(|side| side.detach(now));
        if let Some(s) = (0..2).find(|&s| ended(&self.sides[s])) {
            // An ended session is not resumed: the other side's resume is answered with the
            // reason it ended with (the store's tombstone), and that ends it too.
            if let Phase::Ended(reason) = self.sides[s].phase() {
                self.sides[1 - s].lose(reason);
            }
            return;
        }
        link::reattach(&mut self.sides, now);
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

fn ended(side: &Session) -> bool {
    matches!(side.phase(), Phase::Ended(_))
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
                // (+1 once ended: the one terminal `Lost` event.)
                prop_assert!(side.pending_events() <= 4 + usize::from(ended(side)));
            }
        }
        world.settle();
        if world.closed == [false, false] {
            prop_assert_eq!(&world.got[1], &world.sent[0]);
            prop_assert_eq!(&world.got[0], &world.sent[1]);
            for side in &world.sides {
                prop_assert_eq!(side.buffered(), (0, 0), "everything acked frees the buffer");
            }
        } else {
            for s in 0..2 {
                let (got, sent) = (&world.got[1 - s], &world.sent[s]);
                prop_assert!(sent.starts_with(got), "a prefix, in order, once: {got:?} of {sent:?}");
                if world.closed[s] && !world.closed[1 - s] {
                    prop_assert_eq!(got, sent, "a lone closer's messages all arrive before its close");
                }
                prop_assert_eq!(world.sides[s].phase(), Phase::Ended(LostReason::Closed));
            }
        }
    }
}
