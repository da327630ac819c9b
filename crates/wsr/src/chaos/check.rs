//! The delivery checker, and the wire format it relies on.
//!
//! Every chaos message names its client and its own sequence number (`c3:17`), so loss,
//! duplicates and reordering are found from what the application received, independently of
//! the library's sequence numbers. Stream chunks are `c3:s4` (chunk 4 of client 3's stream).

use serde::Serialize;

/// Delivery in one direction of one client's session.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DirectionStats {
    /// Messages the sending application handed over successfully.
    pub sent: u64,
    /// Distinct sent messages that arrived.
    pub delivered: u64,
    /// Sent messages that never arrived, with no session loss to explain them.
    pub lost: u64,
    /// Arrivals of a message that had already arrived.
    pub duplicated: u64,
    /// Arrivals after a later message had already arrived.
    pub out_of_order: u64,
    /// Arrivals that were never sent: unreadable, another client's, or out of range.
    pub corrupted: u64,
    /// Sent messages after the last delivered one in a session that was lost and said so:
    /// the guarantee's explicit loss, not a silent one.
    pub abandoned: u64,
}

/// One received stream chunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// Its index in the stream, from 0.
    pub index: u64,
    /// Whether the library marked it last (and its digest matched).
    pub last: bool,
    /// Its text.
    pub text: String,
}

/// How one stream turned out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamOutcome {
    /// Every chunk, in order, with matching content, and the digest verified.
    Complete,
    /// A chunk out of place, with wrong content, duplicated, or a digest mismatch.
    Corrupted,
    /// Chunks missing at the end, with no session loss to explain them.
    Incomplete,
    /// Chunks missing at the end of a session that was lost and said so.
    Abandoned,
    /// No stream was requested.
    None,
}

impl std::ops::AddAssign for DirectionStats {
    fn add_assign(&mut self, other: Self) {
        self.sent += other.sent;
        self.delivered += other.delivered;
        self.lost += other.lost;
        self.duplicated += other.duplicated;
        self.out_of_order += other.out_of_order;
        self.corrupted += other.corrupted;
        self.abandoned += other.abandoned;
    }
}

/// The text of client `client`'s message `index`.
pub fn data_text(client: u32, index: u64) -> String {
    format!("c{client}:{index}")
}

/// Parses a data text into `(client, index)`.
pub fn parse_data(text: &str) -> Option<(u32, u64)> {
    let (client, index) = text.strip_prefix('c')?.split_once(':')?;
    Some((client.parse().ok()?, index.parse().ok()?))
}

/// The request for a stream of `chunks` chunks for client `client`.
pub fn stream_request(client: u32, chunks: u64) -> String {
    format!("/stream {chunks} c{client}")
}

/// Parses a stream request into `(client, chunks)`.
pub fn parse_stream_request(text: &str) -> Option<(u32, u64)> {
    let (chunks, client) = text.strip_prefix("/stream ")?.split_once(" c")?;
    Some((client.parse().ok()?, chunks.parse().ok()?))
}

/// The text of chunk `index` of client `client`'s stream.
pub fn chunk_text(client: u32, index: u64) -> String {
    format!("c{client}:s{index}")
}

/// Checks what arrived (`received`: sequence numbers in arrival order) against `sent`
/// messages numbered `0..sent`. `told_lost`: the session ended with an explicit loss, so a
/// missing tail is abandoned rather than lost; a gap before the last arrival is always lost.
pub fn check_sequence(sent: u64, received: &[u64], told_lost: bool) -> DirectionStats {
    let mut stats = DirectionStats { sent, ..DirectionStats::default() };
    let mut seen = vec![false; usize::try_from(sent).unwrap_or(usize::MAX)];
    let mut highest: Option<u64> = None;
    for &index in received {
        let Some(slot) = usize::try_from(index).ok().and_then(|i| seen.get_mut(i)) else {
            stats.corrupted += 1;
            continue;
        };
        if std::mem::replace(slot, true) {
            stats.duplicated += 1;
            continue;
        }
        stats.delivered += 1;
        if highest.is_some_and(|h| index < h) {
            stats.out_of_order += 1;
        }
        highest = highest.max(Some(index));
    }
    account_missing(&mut stats, highest, told_lost);
    stats
}

/// Splits what never arrived into lost (gaps, and the tail of a session not lost
/// explicitly) and abandoned (the tail of a session lost explicitly).
fn account_missing(stats: &mut DirectionStats, highest: Option<u64>, told_lost: bool) {
    let prefix = highest.map_or(0, |h| h + 1);
    let gaps = prefix - stats.delivered.min(prefix);
    let tail = stats.sent - prefix;
    stats.lost = gaps + if told_lost { 0 } else { tail };
    stats.abandoned = if told_lost { tail } else { 0 };
}

/// Checks client `client`'s stream of `expected` chunks. `digest_failed`: the library
/// reported a digest mismatch. `told_lost` as in [`check_sequence`].
pub fn check_stream(
    client: u32,
    expected: u64,
    chunks: &[Chunk],
    digest_failed: bool,
    told_lost: bool,
) -> StreamOutcome {
    if expected == 0 && chunks.is_empty() && !digest_failed {
        return StreamOutcome::None;
    }
    let in_place = chunks.iter().zip(0..).all(|(chunk, k)| {
        chunk.index == k && chunk.text == chunk_text(client, k) && chunk.last == (k + 1 == expected)
    });
    let received = u64::try_from(chunks.len()).unwrap_or(u64::MAX);
    match () {
        () if digest_failed || !in_place || received > expected => StreamOutcome::Corrupted,
        () if received == expected => StreamOutcome::Complete,
        () if told_lost => StreamOutcome::Abandoned,
        () => StreamOutcome::Incomplete,
    }
}

#[cfg(test)]
mod tests;
