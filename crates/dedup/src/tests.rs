//! Unit tests: data-driven verdict sequences, config validation, ids, and two proptests of the
//! window against simple models.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::*;
use Verdict::{Duplicate, Fresh, Rejected};

const TTL: Duration = Duration::from_secs(10);

fn config(max_entries: usize, on_full: OnFull) -> Config {
    Config::default().ttl(TTL).max_entries(max_entries).on_full(on_full)
}

fn id(name: &str) -> MessageId {
    MessageId::explicit(name)
}

/// Runs `(id, milliseconds since start, expected verdict)` steps and returns the window.
#[track_caller]
fn check(config: Config, steps: &[(&str, u64, Verdict)]) -> Window {
    let mut window = Window::new(config).expect("valid config");
    let t0 = Instant::now();
    for (i, &(name, ms, expected)) in steps.iter().enumerate() {
        let now = t0 + Duration::from_millis(ms);
        let got = window.check_and_insert(id(name), now);
        assert_eq!(got, expected, "step {i}: {name} at {ms} ms");
    }
    window
}

#[test]
fn ttl_boundaries_and_no_refresh_on_duplicate() {
    let w = check(
        config(100, OnFull::EvictOldest),
        &[
            ("a", 0, Fresh),
            ("a", 0, Duplicate),
            ("b", 1, Fresh),
            ("a", 9_999, Duplicate),
            // The duplicate at 9 999 ms did not extend the TTL.
            ("a", 10_000, Fresh),
            ("b", 10_000, Duplicate),
            ("b", 10_001, Fresh),
            ("a", 19_999, Duplicate),
        ],
    );
    let s = w.stats();
    assert_eq!((s.checked, s.fresh, s.duplicates), (8, 4, 4));
    assert_eq!((s.expired, s.evicted_early, s.rejected), (2, 0, 0));
    assert_eq!(s.entries, 2);
}

#[test]
fn evict_oldest_at_the_bound_is_counted() {
    let w = check(
        config(2, OnFull::EvictOldest),
        &[
            ("a", 0, Fresh),
            ("b", 1, Fresh),
            ("c", 2, Fresh),
            // "a" was forgotten early to make room for "c".
            ("a", 3, Fresh),
            ("c", 4, Duplicate),
            ("b", 5, Fresh),
        ],
    );
    let s = w.stats();
    assert_eq!((s.evicted_early, s.expired, s.entries), (3, 0, 2));
}

#[test]
fn reject_at_the_bound_keeps_every_id() {
    let w = check(
        config(2, OnFull::Reject),
        &[
            ("a", 0, Fresh),
            ("b", 1, Fresh),
            ("c", 2, Rejected),
            ("a", 3, Duplicate),
            ("c", 4, Rejected),
            // Once "a" expires there is room again.
            ("c", 10_000, Fresh),
            ("b", 10_000, Duplicate),
            ("a", 10_000, Rejected),
            // At 10 001 ms "b" expires in turn.
            ("a", 10_001, Fresh),
        ],
    );
    let s = w.stats();
    assert_eq!((s.rejected, s.evicted_early, s.expired), (3, 0, 2));
    assert_eq!(s.checked, s.fresh + s.duplicates + s.rejected);
}

#[test]
fn an_expired_front_makes_room_without_eviction() {
    let w = check(
        config(2, OnFull::Reject),
        &[
            ("a", 0, Fresh),
            ("b", 5_000, Fresh),
            ("c", 10_000, Fresh),
            ("a", 10_000, Rejected),
            ("b", 10_000, Duplicate),
        ],
    );
    assert_eq!((w.stats().expired, w.stats().evicted_early), (1, 0));
}

#[test]
fn a_clock_stepping_back_is_clamped() {
    let w = check(
        config(100, OnFull::EvictOldest),
        &[
            ("a", 20_000, Fresh),
            ("b", 5_000, Fresh),
            // "b" counts as seen at 20 000 ms, so it lives until 30 000 ms.
            ("b", 29_999, Duplicate),
            ("a", 30_000, Fresh),
            ("b", 30_000, Fresh),
        ],
    );
    assert_eq!(w.stats().expired, 2);
}

#[test]
fn reinserting_an_expired_id_before_its_purge_leaves_one_entry() {
    let mut w = check(config(100, OnFull::EvictOldest), &[("a", 0, Fresh), ("a", 10_000, Fresh)]);
    assert_eq!((w.len(), w.stats().expired), (1, 1));
    let t0 = Instant::now();
    // The stale queue entry from the first insertion is dropped without forgetting "a".
    assert_eq!(w.purge(t0 + Duration::from_millis(15_000)), 0);
    assert!(w.contains(&id("a"), t0 + Duration::from_millis(15_000)));
    assert_eq!(w.purge(t0 + Duration::from_secs(60)), 1);
    assert!(w.is_empty());
    assert_eq!(w.stats().expired, 2);
}

#[test]
fn purge_and_poll_timeout_follow_the_oldest_id() {
    let mut w = Window::new(config(100, OnFull::EvictOldest)).expect("valid");
    let t0 = Instant::now();
    assert_eq!(w.poll_timeout(), None);
    for (i, name) in ["a", "b", "c"].into_iter().enumerate() {
        assert!(w.check_and_insert(id(name), t0 + TTL / 4 * i as u32).is_fresh());
    }
    assert_eq!(w.poll_timeout(), Some(t0 + TTL));
    assert_eq!(w.purge(t0 + TTL), 1);
    assert_eq!(w.poll_timeout(), Some(t0 + TTL / 4 + TTL));
    assert!(!w.contains(&id("a"), t0 + TTL));
    assert!(w.contains(&id("b"), t0 + TTL));
    assert_eq!(w.purge(t0 + TTL * 2), 2);
    assert_eq!((w.len(), w.poll_timeout()), (0, None));
}

#[test]
fn each_call_purges_a_bounded_number_of_expired_ids() {
    let mut w = Window::new(config(1_000, OnFull::EvictOldest)).expect("valid");
    let t0 = Instant::now();
    for i in 0..100u32 {
        let _ = w.check_and_insert(MessageId::explicit(i.to_le_bytes()), t0);
    }
    let _ = w.check_and_insert(id("late"), t0 + TTL);
    assert_eq!(w.len(), 101 - 8);
    assert_eq!(w.purge(t0 + TTL), 92);
    assert_eq!(w.stats().expired, 100);
}

#[track_caller]
fn check_config(config: Config, expected: Result<()>) {
    assert_eq!(config.validate(), expected);
    assert_eq!(Window::new(config).map(|_| ()), expected);
}

#[test]
fn config_validation() {
    let d = Config::default();
    assert_eq!(d.ttl, Duration::from_secs(300));
    assert_eq!((d.max_entries, d.on_full, d.shards), (100_000, OnFull::EvictOldest, 16));
    check_config(d.clone(), Ok(()));
    check_config(d.clone().max_entries(0), Err(Error::ZeroCapacity));
    check_config(d.clone().ttl(Duration::ZERO), Err(Error::ZeroTtl));
    check_config(d.clone().shards(0), Err(Error::ZeroShards));
    check_config(d.clone().max_entries(1).shards(4), Ok(()));
    let sharded = ShardedWindow::new(d.max_entries(3).shards(4));
    let expected = Error::CapacityBelowShards { max_entries: 3, shards: 4 };
    assert_eq!(sharded.map(|_| ()), Err(expected));
}

#[test]
fn ids_are_domain_separated_digests() {
    assert_eq!(MessageId::explicit("a"), MessageId::explicit([b'a']));
    assert_ne!(MessageId::explicit("a"), MessageId::from_content(b"a"));
    assert_ne!(MessageId::explicit("a"), MessageId::explicit("b"));
    let content = MessageId::from_content(b"hello");
    assert_eq!(MessageId::explicit_or_content(None, b"hello"), content);
    assert_eq!(MessageId::explicit_or_content(Some(b"x"), b"hello"), MessageId::explicit("x"));
    let debug = format!("{content:?}");
    assert!(debug.starts_with("MessageId(") && debug.len() < 32, "{debug}");
}

#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
#[test]
fn entry_sizes_match_the_documented_memory_cost() {
    assert_eq!(std::mem::size_of::<MessageId>(), 32);
    assert_eq!(std::mem::size_of::<(MessageId, Instant)>(), 48);
    assert_eq!(std::mem::size_of::<(Instant, MessageId)>(), 48);
}

#[test]
fn stats_serialize_with_their_field_names() {
    let json = serde_json::to_value(Stats::default()).expect("serializable");
    let keys: Vec<_> = json.as_object().expect("object").keys().cloned().collect();
    let expected =
        ["checked", "duplicates", "entries", "evicted_early", "expired", "fresh", "rejected"];
    assert_eq!(keys, expected);
}

#[test]
fn sharded_window_splits_the_bound() {
    let w = ShardedWindow::new(config(10, OnFull::Reject).shards(4)).expect("valid");
    assert_eq!(w.shard_count(), 4);
    let t0 = Instant::now();
    let verdicts: Vec<_> =
        (0..100u32).map(|i| w.check_and_insert(MessageId::explicit(i.to_le_bytes()), t0)).collect();
    // Four shards of 10 / 4 = 2 entries each.
    assert_eq!(verdicts.iter().filter(|v| v.is_fresh()).count(), 8);
    assert_eq!((w.len(), w.stats().rejected), (8, 92));
    assert_eq!(w.poll_timeout(), Some(t0 + TTL));
    assert!(!w.is_empty());
    let kept: Vec<u32> =
        (0..100u32).filter(|i| w.contains(&MessageId::explicit(i.to_le_bytes()), t0)).collect();
    assert_eq!(kept.len(), 8);
    assert!(!w.contains(&id("never seen"), t0));
    let s = w.stats();
    assert_eq!((s.checked, s.fresh, s.entries), (100, 8, 8));
    assert_eq!(w.purge(t0 + TTL), 8);
    assert!(w.is_empty());
    assert_eq!(w.stats().expired, 8);
}

#[test]
fn sharded_stats_add_every_counter_of_every_shard() {
    let w = ShardedWindow::new(config(8, OnFull::EvictOldest).shards(2)).expect("valid");
    let t0 = Instant::now();
    for i in 0..40u32 {
        let _ = w.check_and_insert(MessageId::explicit(i.to_le_bytes()), t0);
    }
    let _ = w.check_and_insert(MessageId::explicit(39u32.to_le_bytes()), t0);
    let s = w.stats();
    assert_eq!((s.checked, s.fresh, s.duplicates, s.entries), (41, 40, 1, 8));
    assert_eq!(s.evicted_early, 32);
    let mut doubled = s;
    doubled += s;
    assert_eq!((doubled.checked, doubled.evicted_early, doubled.entries), (82, 64, 16));
    let _ = w.purge(t0 + TTL);
    assert_eq!(w.stats().expired, 8);
}

#[test]
fn an_expired_id_still_in_the_table_is_fresh_and_its_stale_entry_does_not_forget_it() {
    let mut w = Window::new(config(100, OnFull::EvictOldest)).expect("valid");
    assert_eq!(w.config().ttl, TTL);
    let t0 = Instant::now();
    // Ten ids, then "a", all at t0: one call purges only eight of them.
    for i in 0..10u32 {
        let _ = w.check_and_insert(MessageId::explicit(i.to_le_bytes()), t0);
    }
    assert!(w.check_and_insert(id("a"), t0).is_fresh());
    assert!(!w.is_empty());
    // At t0 + TTL "a" is expired but not purged yet: fresh again, counted as expired.
    assert!(w.check_and_insert(id("a"), t0 + TTL).is_fresh());
    assert_eq!(w.stats().expired, 9);
    // The purge pops "a"'s first (stale) queue entry without forgetting its new insertion.
    assert_eq!(w.purge(t0 + TTL), 2);
    assert!(w.contains(&id("a"), t0 + TTL));
    assert_eq!(w.check_and_insert(id("a"), t0 + TTL), Duplicate);
}

#[test]
fn ids_expose_their_digest_and_hash_with_spread() {
    use std::hash::{BuildHasher, RandomState};
    let (a, b) = (MessageId::from_content(b"a"), MessageId::from_content(b"b"));
    assert_ne!(a.as_bytes(), b.as_bytes());
    assert!(a.as_bytes().iter().any(|&x| x != a.as_bytes()[0]), "a digest, not a constant");
    let hasher = RandomState::new();
    let hashes: std::collections::HashSet<u64> =
        (0..1_000u32).map(|i| hasher.hash_one(MessageId::explicit(i.to_le_bytes()))).collect();
    assert!(hashes.len() > 990, "{} distinct hashes of 1,000 ids", hashes.len());
}

/// The obvious dedup: a list of `(id, first seen)` scanned in full, oldest first.
#[derive(Default)]
struct Model {
    live: VecDeque<(u8, Instant)>,
    stats: Stats,
}

impl Model {
    fn check(&mut self, id: u8, now: Instant, cap: usize, on_full: OnFull) -> Verdict {
        self.stats.checked += 1;
        let before = self.live.len();
        self.live.retain(|&(_, at)| now.duration_since(at) < TTL);
        self.stats.expired += (before - self.live.len()) as u64;
        if self.live.iter().any(|&(seen, _)| seen == id) {
            self.stats.duplicates += 1;
            return Duplicate;
        }
        if self.live.len() == cap {
            if on_full == OnFull::Reject {
                self.stats.rejected += 1;
                return Rejected;
            }
            self.live.pop_front();
            self.stats.evicted_early += 1;
        }
        self.live.push_back((id, now));
        self.stats.fresh += 1;
        Fresh
    }
}

fn steps() -> impl Strategy<Value = Vec<(u8, u64)>> {
    // Ids from a small pool so that they repeat; advances up to 0.6 TTL so that they expire.
    prop::collection::vec((0u8..12, 0u64..6_000), 1..200)
}

fn on_full() -> impl Strategy<Value = OnFull> {
    prop_oneof![Just(OnFull::EvictOldest), Just(OnFull::Reject)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn matches_a_first_seen_map_when_never_full(steps in steps()) {
        let mut window = Window::new(config(1_000, OnFull::EvictOldest)).expect("valid");
        let mut model: HashMap<u8, Instant> = HashMap::new();
        let mut now = Instant::now();
        for (name, advance_ms) in steps {
            now += Duration::from_millis(advance_ms);
            let key = MessageId::explicit([name]);
            let live = model.get(&name).is_some_and(|&at| now.duration_since(at) < TTL);
            prop_assert_eq!(window.contains(&key, now), live);
            let expected = if live { Duplicate } else { Fresh };
            prop_assert_eq!(window.check_and_insert(key, now), expected);
            if !live {
                model.insert(name, now);
            }
        }
        window.purge(now);
        let live = model.values().filter(|&&at| now.duration_since(at) < TTL).count();
        let s = window.stats();
        prop_assert_eq!(s.entries, live);
        prop_assert_eq!(s.expired, s.fresh - live as u64);
        prop_assert_eq!(s.evicted_early, 0);
    }

    #[test]
    fn matches_a_scanning_model_at_a_small_bound(
        steps in steps(), cap in 1usize..6, policy in on_full(),
    ) {
        let mut window = Window::new(config(cap, policy)).expect("valid");
        let mut model = Model::default();
        let mut now = Instant::now();
        for (name, advance_ms) in steps {
            now += Duration::from_millis(advance_ms);
            let got = window.check_and_insert(MessageId::explicit([name]), now);
            prop_assert_eq!(got, model.check(name, now, cap, policy));
            prop_assert!(window.len() <= cap);
            let (s, m) = (window.stats(), model.stats);
            prop_assert_eq!((s.evicted_early, s.rejected), (m.evicted_early, m.rejected));
        }
        window.purge(now);
        let _ = model.check(u8::MAX, now, usize::MAX, policy);
        let (s, live) = (window.stats(), model.live.len() as u64 - 1);
        prop_assert_eq!(s.entries as u64, live);
        prop_assert_eq!(s.expired, model.stats.expired);
        prop_assert_eq!(s.expired + s.evicted_early + live, s.fresh);
    }
}
