//! The checker must find every kind of delivery fault it is fed.

use super::*;

#[track_caller]
fn check(sent: u64, received: &[u64], told: bool, expected: DirectionStats) {
    assert_eq!(check_sequence(sent, received, told), expected, "{received:?}");
}

fn stats(sent: u64, delivered: u64) -> DirectionStats {
    DirectionStats { sent, delivered, ..DirectionStats::default() }
}

#[test]
fn a_perfect_sequence_is_clean() {
    check(5, &[0, 1, 2, 3, 4], false, stats(5, 5));
    check(0, &[], false, stats(0, 0));
}

#[test]
fn finds_a_gap_a_duplicate_and_a_reorder() {
    let gap = DirectionStats { lost: 1, ..stats(5, 4) };
    check(5, &[0, 1, 3, 4], false, gap);
    let dup = DirectionStats { duplicated: 1, ..stats(4, 4) };
    check(4, &[0, 1, 1, 2, 3], false, dup);
    let reorder = DirectionStats { out_of_order: 1, ..stats(4, 4) };
    check(4, &[0, 2, 1, 3], false, reorder);
    let all = DirectionStats { lost: 1, duplicated: 1, out_of_order: 1, ..stats(6, 5) };
    check(6, &[0, 3, 2, 3, 4, 5], false, all);
}

#[test]
fn a_missing_tail_is_lost_unless_the_loss_was_told() {
    check(5, &[0, 1, 2], false, DirectionStats { lost: 2, ..stats(5, 3) });
    check(5, &[0, 1, 2], true, DirectionStats { abandoned: 2, ..stats(5, 3) });
    check(3, &[], false, DirectionStats { lost: 3, ..stats(3, 0) });
    // A gap before the last arrival is lost even when the session loss was told.
    let told_gap = DirectionStats { lost: 1, abandoned: 1, ..stats(5, 3) };
    check(5, &[0, 2, 3], true, told_gap);
}

#[test]
fn messages_never_sent_are_corrupted() {
    let corrupted = DirectionStats { corrupted: 2, ..stats(3, 3) };
    check(3, &[0, 1, 7, 2, 3], false, corrupted);
}

#[test]
fn wire_texts_round_trip_and_reject_garbage() {
    assert_eq!(parse_data(&data_text(3, 17)), Some((3, 17)));
    assert_eq!(parse_stream_request(&stream_request(4, 50)), Some((4, 50)));
    for garbage in ["", "c", "c3", "c3:", "x3:1", "c3:1x", "c-1:2"] {
        assert_eq!(parse_data(garbage), None, "{garbage:?}");
    }
    assert_eq!(parse_stream_request("/stream 5"), None);
    assert_eq!(parse_data(&chunk_text(1, 2)), None, "a chunk is not a data message");
}

fn chunks(client: u32, indexes: &[u64], total: u64) -> Vec<Chunk> {
    indexes
        .iter()
        .map(|&k| Chunk { index: k, last: k + 1 == total, text: chunk_text(client, k) })
        .collect()
}

#[test]
fn streams_are_checked_chunk_by_chunk() {
    let whole = chunks(2, &[0, 1, 2, 3], 4);
    assert_eq!(check_stream(2, 4, &whole, false, false), StreamOutcome::Complete);
    assert_eq!(check_stream(2, 4, &whole, true, false), StreamOutcome::Corrupted);
    assert_eq!(check_stream(9, 4, &whole, false, false), StreamOutcome::Corrupted);
    let reordered = chunks(2, &[0, 2, 1, 3], 4);
    assert_eq!(check_stream(2, 4, &reordered, false, false), StreamOutcome::Corrupted);
    let duplicated = chunks(2, &[0, 1, 1, 2, 3], 4);
    assert_eq!(check_stream(2, 4, &duplicated, false, false), StreamOutcome::Corrupted);
    let short = chunks(2, &[0, 1], 4);
    assert_eq!(check_stream(2, 4, &short, false, false), StreamOutcome::Incomplete);
    assert_eq!(check_stream(2, 4, &short, false, true), StreamOutcome::Abandoned);
    let mut unmarked = whole.clone();
    unmarked[3].last = false;
    assert_eq!(check_stream(2, 4, &unmarked, false, false), StreamOutcome::Corrupted);
    assert_eq!(check_stream(2, 0, &[], false, false), StreamOutcome::None);
}
