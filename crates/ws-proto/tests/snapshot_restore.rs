//! Model test of snapshot and restore: a client and a server whose state is durable (the
//! server persists its inbound cursors now and then, its outbound frames always before they
//! leave), over a link that loses everything in flight when cut. At random points the server
//! crashes and a new one is restored from the durable state. Whatever the interleaving, the
//! client delivers everything the server sent exactly once, in order; the server's
//! application sees everything the client sent, in order, and sees a message twice only if it
//! was marked redelivered (the window between the durable cursor and the durable received
//! bound), never an unmarked repeat.
#![allow(clippy::unwrap_used)]

#[path = "common/link.rs"]
mod link;

use std::collections::{HashSet, VecDeque};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use ws_proto::{Config, Data, Event, Frame, Payload, Phase, Session, Snapshot};

const CLIENT: usize = 0;
const SERVER: usize = 1;

#[derive(Clone, Debug)]
enum Op {
    Send(usize, u8),
    Transmit(usize, u8),
    Deliver(usize, u8),
    Consume(usize, u8),
    Persist,
    Cut,
    Crash,
    Advance(u16),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..2usize, 1..8u8).prop_map(|(s, n)| Op::Send(s, n)),
        4 => (0..2usize, 1..8u8).prop_map(|(s, n)| Op::Transmit(s, n)),
        4 => (0..2usize, 1..8u8).prop_map(|(s, n)| Op::Deliver(s, n)),
        4 => (0..2usize, 1..8u8).prop_map(|(s, n)| Op::Consume(s, n)),
        3 => Just(Op::Persist),
        2 => Just(Op::Cut),
        2 => Just(Op::Crash),
        2 => (0..50u16).prop_map(Op::Advance),
    ]
}

/// One delivery to an application: the text, and whether it was marked redelivered.
type Got = (String, bool);

struct World {
    sides: [Session; 2],
    wire: [VecDeque<Frame>; 2],
    sent: [Vec<String>; 2],
    got: [Vec<Got>; 2],
    /// What the server's store holds: `(delivered, received)`.
    durable: (u64, u64),
    /// The last server frame the store holds (server sequence numbers are the positions in
    /// `sent[SERVER]`, counted from 1).
    durable_sent: u64,
    crashes: usize,
    config: Config,
    now: Instant,
}

impl World {
    fn new(config: Config) -> Self {
        let now = Instant::now();
        let mut client = Session::new(config.clone(), now).unwrap();
        let mut server = Session::new(config.clone(), now).unwrap();
        server.require_durability();
        client.attach(0, now).unwrap();
        server.attach(0, now).unwrap();
        World {
            sides: [client, server],
            wire: Default::default(),
            sent: Default::default(),
            got: Default::default(),
            durable: (0, 0),
            durable_sent: 0,
            crashes: 0,
            config,
            now,
        }
    }

    fn apply(&mut self, op: &Op) {
        match *op {
            // On the server, frames leave only once its store holds them (at the next
            // persist); a crash before that loses them, and their send was never confirmed.
            Op::Send(s, n) => link::send(&mut self.sides[s], s, n, &mut self.sent[s]),
            Op::Transmit(s, n) => self.transmit(s, usize::from(n)),
            Op::Deliver(s, n) => self.deliver(s, usize::from(n)),
            Op::Consume(s, n) => self.consume(s, usize::from(n)),
            Op::Persist => self.persist(),
            Op::Cut => self.cut(),
            Op::Crash => self.crash(),
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
        for _ in 0..n {
            let Some(frame) = self.wire[s].pop_front() else { return };
            self.sides[1 - s].handle_frame(frame, self.now).unwrap();
        }
    }

    fn consume(&mut self, s: usize, n: usize) {
        for _ in 0..n {
            match self.sides[s].poll_event(self.now) {
                None => return,
                Some(Event::Message(Data { payload: Payload::Text(t), seq, .. })) => {
                    let marked = self.sides[s].is_redelivery(seq);
                    self.got[s].push((t, marked));
                }
                Some(other) => panic!("unexpected event {other:?}"),
            }
        }
    }

    /// The server's store write: the cursors as they are now become durable.
    fn persist(&mut self) {
        let (delivered, received) = self.sides[SERVER].durable_cursors();
        self.durable = (delivered, received);
        self.sides[SERVER].set_durable(delivered, received);
        self.durable_sent = self.sent[SERVER].len() as u64;
        self.sides[SERVER].set_durable_sent(self.durable_sent);
    }

    /// The server dies; a new one restores the durable state (its outbound frames were
    /// durable before they left, so the unacknowledged ones are all there).
    fn crash(&mut self) {
        let (delivered, received) = self.durable;
        let mut snapshot = Snapshot { delivered, received, ..self.sides[SERVER].snapshot() };
        snapshot.unacked.retain(|data| data.seq <= self.durable_sent);
        self.sent[SERVER].truncate(self.durable_sent as usize);
        self.sides[SERVER] = Session::restore(self.config.clone(), snapshot, self.now).unwrap();
        self.crashes += 1;
        self.cut();
    }

    fn cut(&mut self) {
        self.wire = Default::default();
        let now = self.now;
        self.sides.iter_mut().for_each(|side| side.detach(now));
        link::reattach(&mut self.sides, now);
    }

    fn settle(&mut self) {
        self.cut();
        for _ in 0..100 {
            self.now += Duration::from_millis(20);
            for s in 0..2 {
                self.transmit(s, usize::MAX);
                self.deliver(s, usize::MAX);
                self.persist();
                self.consume(1 - s, usize::MAX);
                self.persist();
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn restored_sessions_repeat_only_marked_messages(ops in proptest::collection::vec(op(), 0..150)) {
        let config = Config::default().buffer(4, 1 << 20).acks(Duration::from_millis(5), 4, 1 << 20);
        let mut world = World::new(config);
        for op in &ops {
            world.apply(op);
            prop_assert!(world.sides.iter().all(|s| matches!(s.phase(), Phase::Attached | Phase::Detached(_))));
        }
        world.settle();
        // Server to client: every frame was durable before it left, so nothing confirmed is
        // lost and nothing repeats.
        let to_client: Vec<&String> = world.got[CLIENT].iter().map(|(t, _)| t).collect();
        prop_assert_eq!(to_client, world.sent[SERVER].iter().collect::<Vec<_>>());
        prop_assert!(world.got[CLIENT].iter().all(|(_, marked)| !marked));
        // Client to server: first deliveries in order, repeats only when marked.
        let mut seen = HashSet::new();
        let mut first = Vec::new();
        for (text, marked) in &world.got[SERVER] {
            if seen.insert(text.clone()) {
                first.push(text.clone());
            } else {
                prop_assert!(*marked, "{text} repeated without the redelivered mark");
            }
        }
        prop_assert_eq!(&first, &world.sent[CLIENT]);
        if world.crashes == 0 {
            prop_assert_eq!(world.got[SERVER].len(), world.sent[CLIENT].len());
        }
    }
}
