//! The contract every backend passes: one generic case per behaviour, instantiated per
//! backend by `contract_cases!`.

// Each test binary uses a part of these helpers.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::time::Duration;

use bytes::Bytes;
use session_store::{
    Batch, Claim, Error, LostReason, OpenStream, Progress, SessionRecord, SessionStore, StoreConfig,
};

/// A backend under test.
pub trait Backend: Sized {
    /// A fresh, empty store with `config`.
    async fn open(config: StoreConfig) -> Self;
    /// The store.
    fn store(&self) -> &dyn SessionStore;
    /// Lets `by` pass for the store's expiry.
    async fn advance(&self, by: Duration);
    /// Drops the store and opens it again on the same data (`None`: nothing survives).
    async fn reopen(self) -> Option<Self>;
}

/// The window and TTL of the expiry cases (short: the Redis backend really waits).
pub const WINDOW: Duration = Duration::from_millis(400);

pub fn config() -> StoreConfig {
    StoreConfig::default().resume_window(WINDOW).tombstone_ttl(WINDOW).max_log_bytes(1000)
}

pub fn batch(seqs: std::ops::RangeInclusive<u64>) -> Batch {
    let mut batch = Batch::default();
    for seq in seqs {
        batch.push(seq, format!("frame {seq}").into_bytes());
    }
    batch
}

pub fn progress(delivered: u64, peer_acked: u64) -> Progress {
    let stream = OpenStream { id: "s".into(), next_index: 3, state: vec![1, 2, 3] };
    Progress {
        delivered,
        received: delivered + 1,
        peer_acked,
        state_version: 7,
        streams: vec![stream],
    }
}

pub async fn create(store: &dyn SessionStore, id: &str) {
    store.create(SessionRecord::new(id, "alice", "secret")).await.unwrap();
}

#[track_caller]
pub fn check_log(loaded: &session_store::Loaded, seqs: std::ops::RangeInclusive<u64>) {
    let got: Vec<(u64, Bytes)> = loaded.log.iter().map(|e| (e.seq, e.bytes.clone())).collect();
    let want: Vec<(u64, Bytes)> =
        seqs.map(|s| (s, Bytes::from(format!("frame {s}").into_bytes()))).collect();
    assert_eq!(got, want);
}

pub async fn claims_check_credentials_and_grow_the_epoch<B: Backend>() {
    let b = B::open(config()).await;
    let store = b.store();
    create(store, "s1").await;
    assert_eq!(store.claim("s1", "secret", "alice").await, Ok(Claim { epoch: 1 }));
    assert_eq!(store.claim("s1", "secret", "alice").await, Ok(Claim { epoch: 2 }));
    let unauthorized = Err(Error::Lost(LostReason::Unauthorized));
    assert_eq!(store.claim("s1", "guess", "alice").await, unauthorized);
    assert_eq!(store.claim("s1", "secret", "mallory").await, unauthorized);
    assert_eq!(store.claim("s2", "secret", "alice").await, Err(Error::Lost(LostReason::Expired)));
    assert_eq!(store.load("s1").await.unwrap().meta.epoch, 2, "a refused claim bumps nothing");
}

pub async fn stale_epoch_writes_are_refused<B: Backend>() {
    let b = B::open(config()).await;
    let store = b.store();
    create(store, "s1").await;
    store.write("s1", 0, &batch(1..=2)).await.unwrap();
    assert_eq!(store.claim("s1", "secret", "alice").await.unwrap().epoch, 1);
    let fenced = Err(Error::Fenced { writer: 0, current: 1 });
    assert_eq!(store.write("s1", 0, &batch(3..=3)).await, fenced);
    assert_eq!(
        store.write("s1", 2, &batch(3..=3)).await.unwrap_err().lost_reason(),
        Some(LostReason::Expired)
    );
    store.write("s1", 1, &batch(3..=4)).await.unwrap();
    check_log(&store.load("s1").await.unwrap(), 1..=4);
    let stale_end = store.end("s1", 0, LostReason::Expired).await;
    assert_eq!(stale_end, Err(Error::Fenced { writer: 0, current: 1 }));
    assert_eq!(store.load("s1").await.unwrap().meta.ended, None, "the stale end changed nothing");
    store.end("s1", 1, LostReason::Closed).await.unwrap();
    store.end("s1", 0, LostReason::Closed).await.unwrap();
}

pub async fn the_log_appends_in_order_and_trims_through_the_ack<B: Backend>() {
    let b = B::open(config()).await;
    let store = b.store();
    create(store, "s1").await;
    store.write("s1", 0, &batch(1..=3)).await.unwrap();
    let mut second = batch(4..=6);
    second.progress = Some(progress(9, 2));
    store.write("s1", 0, &second).await.unwrap();
    let loaded = store.load("s1").await.unwrap();
    check_log(&loaded, 3..=6);
    assert_eq!((loaded.meta.progress, loaded.meta.last_seq), (progress(9, 2), 6));
    let gap = store.write("s1", 0, &batch(8..=8)).await;
    assert_eq!(gap, Err(Error::OutOfOrder { seq: 8, last: 6 }));
    let replay = store.write("s1", 0, &batch(6..=7)).await;
    assert_eq!(replay, Err(Error::OutOfOrder { seq: 6, last: 6 }));
    let trim = Batch { append: vec![], progress: Some(progress(10, 6)) };
    store.write("s1", 0, &trim).await.unwrap();
    let loaded = store.load("s1").await.unwrap();
    assert!(loaded.log.is_empty(), "refused appends left nothing, the ack trimmed the rest");
    assert_eq!((loaded.meta.log_bytes, loaded.meta.progress.delivered), (0, 10));
    store.write("s1", 0, &batch(7..=7)).await.unwrap();
    check_log(&store.load("s1").await.unwrap(), 7..=7);
}

pub async fn sessions_are_independent<B: Backend>() {
    let b = B::open(config()).await;
    let store = b.store();
    create(store, "a").await;
    create(store, "b").await;
    store.write("a", 0, &batch(1..=2)).await.unwrap();
    store.write("b", 0, &batch(1..=5)).await.unwrap();
    store.end("a", 0, LostReason::Closed).await.unwrap();
    check_log(&store.load("b").await.unwrap(), 1..=5);
    assert!(store.load("a").await.unwrap().log.is_empty());
}

pub async fn ended_sessions_keep_their_reason_until_the_tombstone_expires<B: Backend>() {
    let b = B::open(config()).await;
    let store = b.store();
    create(store, "s1").await;
    store.write("s1", 0, &batch(1..=2)).await.unwrap();
    store.end("s1", 0, LostReason::Closed).await.unwrap();
    let closed = Error::Lost(LostReason::Closed);
    assert_eq!(store.claim("s1", "secret", "alice").await, Err(closed.clone()));
    assert_eq!(store.write("s1", 0, &batch(3..=3)).await, Err(closed));
    let unauthorized = Err(Error::Lost(LostReason::Unauthorized));
    assert_eq!(store.claim("s1", "guess", "alice").await, unauthorized);
    let loaded = store.load("s1").await.unwrap();
    assert_eq!((loaded.meta.ended, loaded.log.len()), (Some(LostReason::Closed), 0));
    store.end("unknown", 0, LostReason::Closed).await.unwrap();
    b.advance(WINDOW + Duration::from_millis(100)).await;
    let expired = Err(Error::Lost(LostReason::Expired));
    assert_eq!(store.claim("s1", "secret", "alice").await, expired);
}

pub async fn idle_sessions_expire_after_the_resume_window<B: Backend>() {
    let b = B::open(config()).await;
    let store = b.store();
    create(store, "idle").await;
    create(store, "busy").await;
    b.advance(WINDOW / 2).await;
    store.write("busy", 0, &batch(1..=1)).await.unwrap();
    b.advance(WINDOW / 2 + Duration::from_millis(100)).await;
    let expired = Error::Lost(LostReason::Expired);
    assert_eq!(store.claim("idle", "secret", "alice").await, Err(expired.clone()));
    assert_eq!(store.write("idle", 0, &batch(1..=1)).await, Err(expired));
    check_log(&store.load("busy").await.unwrap(), 1..=1);
}

pub async fn a_full_log_is_refused_and_trimming_frees_it<B: Backend>() {
    let b = B::open(config()).await;
    let store = b.store();
    create(store, "s1").await;
    let mut big = Batch::default();
    big.push(1, vec![0u8; 600]);
    store.write("s1", 0, &big).await.unwrap();
    let mut more = Batch::default();
    more.push(2, vec![0u8; 600]);
    assert!(matches!(store.write("s1", 0, &more).await, Err(Error::Full(_))));
    assert_eq!(store.load("s1").await.unwrap().meta.last_seq, 1, "nothing of it was stored");
    more.progress = Some(progress(0, 1));
    store.write("s1", 0, &more).await.unwrap();
    let loaded = store.load("s1").await.unwrap();
    assert_eq!((loaded.meta.log_bytes, loaded.log.len()), (600, 1));
}

pub async fn concurrent_writers_to_many_sessions_all_land<B: Backend>() {
    let b = B::open(config()).await;
    let store = b.store();
    let ids: Vec<String> = (0..32).map(|i| format!("s{i}")).collect();
    for id in &ids {
        create(store, id).await;
    }
    for round in 0..4u64 {
        let round_batch = batch(round * 3 + 1..=round * 3 + 3);
        let writes = ids.iter().map(|id| store.write(id, 0, &round_batch));
        for result in futures_util::future::join_all(writes).await {
            result.unwrap();
        }
    }
    for id in &ids {
        check_log(&store.load(id).await.unwrap(), 1..=12);
    }
}

pub async fn state_survives_a_reopen<B: Backend>() {
    let b = B::open(config()).await;
    create(b.store(), "s1").await;
    let mut first = batch(1..=4);
    first.progress = Some(progress(5, 1));
    b.store().write("s1", 0, &first).await.unwrap();
    assert_eq!(b.store().claim("s1", "secret", "alice").await.unwrap().epoch, 1);
    let before = b.store().load("s1").await.unwrap();
    let Some(b) = b.reopen().await else { return };
    let after = b.store().load("s1").await.unwrap();
    assert_eq!((&after.log, &after.meta.progress), (&before.log, &before.meta.progress));
    check_log(&after, 2..=4);
    assert_eq!(b.store().claim("s1", "secret", "alice").await.unwrap().epoch, 2);
    let fenced = Err(Error::Fenced { writer: 1, current: 2 });
    assert_eq!(b.store().write("s1", 1, &batch(5..=5)).await, fenced);
}

/// One `#[tokio::test]` per contract case for backend `$backend`.
#[macro_export]
macro_rules! contract_cases {
    ($backend:ty) => {
        $crate::contract_cases!($backend:
            claims_check_credentials_and_grow_the_epoch,
            stale_epoch_writes_are_refused,
            the_log_appends_in_order_and_trims_through_the_ack,
            sessions_are_independent,
            ended_sessions_keep_their_reason_until_the_tombstone_expires,
            idle_sessions_expire_after_the_resume_window,
            a_full_log_is_refused_and_trimming_frees_it,
            concurrent_writers_to_many_sessions_all_land,
            state_survives_a_reopen,
        );
    };
    ($backend:ty: $($case:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                contract::$case::<$backend>().await;
            }
        )*
    };
}
