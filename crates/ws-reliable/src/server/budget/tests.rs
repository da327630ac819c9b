use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::gate::{Account, Gated, SMALL};
use super::scan::{Scan, Seen};
use super::{Budget, mem_available};

/// A masked client frame header for a payload of `len` bytes.
fn header(opcode: u8, fin: bool, len: u64) -> Vec<u8> {
    let mut out = vec![opcode | if fin { 0x80 } else { 0 }];
    match len {
        0..=125 => out.push(0x80 | len as u8),
        126..=0xffff => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            out.push(0x80 | 127);
            out.extend_from_slice(&len.to_be_bytes());
        }
    }
    out.extend_from_slice(&[1, 2, 3, 4]);
    out
}

fn frame(opcode: u8, fin: bool, len: usize) -> Vec<u8> {
    let mut out = header(opcode, fin, len as u64);
    out.resize(out.len() + len, 7);
    out
}

#[track_caller]
fn check_scan(stream: &[u8], chunk: usize, expected: &[Seen]) {
    let mut scan = Scan::default();
    let mut seen = Vec::new();
    for part in stream.chunks(chunk) {
        scan.feed(part, |s| {
            seen.push(s);
            false
        });
    }
    assert_eq!(seen, expected, "chunk {chunk}");
}

#[test]
fn the_scanner_finds_every_header_and_end_whatever_the_chunking() {
    let mut stream = frame(2, true, 5);
    stream.extend(frame(1, false, 300));
    stream.extend(frame(9, true, 0));
    stream.extend(frame(0, true, 70_000));
    let expected = [
        Seen::Header { len: 5, data: true, fin: true },
        Seen::End { data: true, fin: true },
        Seen::Header { len: 300, data: true, fin: false },
        Seen::End { data: true, fin: false },
        Seen::Header { len: 0, data: false, fin: true },
        Seen::End { data: false, fin: true },
        Seen::Header { len: 70_000, data: true, fin: true },
        Seen::End { data: true, fin: true },
    ];
    for chunk in [1, 2, 3, 13, 4096, stream.len()] {
        check_scan(&stream, chunk, &expected);
    }
}

#[test]
fn reservations_never_pass_the_limit_and_releases_give_room_back() {
    let budget = Budget::new(100, 40, None);
    assert!(budget.try_reserve(60));
    assert!(!budget.refusing(), "60 + 40 of headroom fits 100");
    assert!(!budget.try_reserve(41));
    assert!(budget.try_reserve(1));
    assert!(budget.refusing(), "61 + 40 of headroom is over 100");
    budget.charge(50);
    assert_eq!(budget.figures().used, 111, "charges are never refused");
    budget.release(101);
    assert_eq!(budget.figures().used, 10);
    assert!(!budget.refusing());
    budget.release(1_000);
    assert_eq!(budget.figures().used, 0, "releases saturate at zero");
}

#[test]
fn mem_available_is_read_in_bytes() {
    let text = "MemTotal:  8000 kB\nMemFree: 100 kB\nMemAvailable:    4096 kB\n";
    assert_eq!(mem_available(text), Some(4096 * 1024));
    assert_eq!(mem_available("MemAvailable: 12 MB\n"), None);
    assert_eq!(mem_available("MemTotal: 1 kB\n"), None);
    assert!(super::machine_default() > 0);
}

/// Reads everything from a gated duplex until `n` bytes arrived.
async fn read_n(gated: &mut Gated<tokio::io::DuplexStream>, n: usize) -> usize {
    let mut buf = vec![0; 4096];
    let mut total = 0;
    while total < n {
        let read = gated.read(&mut buf).await.expect("read");
        assert!(read > 0, "stream ended early");
        total += read;
    }
    total
}

#[tokio::test]
async fn a_large_message_waits_for_room_and_its_reservation_goes_back_on_delivery() {
    let budget = Budget::new(300_000, 0, None);
    let (mut peer, io) = tokio::io::duplex(1 << 20);
    let account = Account::new(&budget);
    let mut gated = Gated::new(io, Arc::clone(&account), 250_000);
    let len = 200_000;
    peer.write_all(&frame(2, true, len)).await.expect("write");
    assert!(budget.try_reserve(150_000), "someone else holds half");
    // The header and a first chunk go through; the payload then waits for room.
    let first = read_n(&mut gated, 1).await;
    assert_eq!(first, 13, "the header but its last byte: it waits for the reservation");
    let blocked = tokio::time::timeout(std::time::Duration::from_millis(50), read_n(&mut gated, 1));
    assert!(blocked.await.is_err(), "read while the reservation does not fit");
    assert_eq!(budget.figures().paused_now, 1);
    budget.release(150_000);
    read_n(&mut gated, len + 14 - first).await;
    assert_eq!(budget.figures().used, len, "reserved until handed over");
    account.delivered(len);
    assert_eq!(budget.figures().used, 0);
    assert_eq!(budget.figures().paused_reads, 1);
}

#[tokio::test]
async fn small_messages_are_not_reserved_and_fragments_trim_to_their_size() {
    let budget = Budget::new(1 << 20, 0, None);
    let (mut peer, io) = tokio::io::duplex(1 << 20);
    let account = Account::new(&budget);
    let mut gated = Gated::new(io, Arc::clone(&account), 500_000);
    let small = frame(1, true, SMALL as usize);
    peer.write_all(&small).await.expect("write");
    read_n(&mut gated, small.len()).await;
    assert_eq!(budget.figures().used, 0);
    let (a, b) = (frame(2, false, 30_000), frame(0, true, 20_000));
    peer.write_all(&a).await.expect("write");
    read_n(&mut gated, a.len()).await;
    assert_eq!(budget.figures().used, 500_000, "a fragmented message reserves the maximum");
    peer.write_all(&b).await.expect("write");
    read_n(&mut gated, b.len()).await;
    assert_eq!(budget.figures().used, 50_000, "trimmed to the message at its last fragment");
    drop(gated);
    drop(account);
    assert_eq!(budget.figures().used, 0, "a dropped connection releases what it held");
}

#[tokio::test(start_paused = true)]
async fn a_reader_waiting_for_room_keeps_its_session_alive() {
    use crate::shared::{Shared, now};
    let budget = Budget::new(300_000, 0, None);
    let (mut peer, io) = tokio::io::duplex(1 << 20);
    let account = Account::new(&budget);
    let shared = Shared::new(ws_proto::Session::new(ws_proto::Config::default(), now()).unwrap());
    shared.with(|m| m.attach(0, now())).unwrap();
    account.carries(&shared);
    let mut gated = Gated::new(io, account, 250_000);
    peer.write_all(&frame(2, true, 200_000)).await.expect("write");
    assert!(budget.try_reserve(150_000));
    read_n(&mut gated, 1).await;
    let start = now();
    let wait = std::time::Duration::from_secs(60);
    assert!(tokio::time::timeout(wait, read_n(&mut gated, 1)).await.is_err(), "still paused");
    // Heartbeat interval + timeout is 35 s: without the keep-alive the deadline would be past.
    let deadline = shared.with(|m| m.silence_deadline()).unwrap();
    assert!(deadline > start + wait, "the pause is not taken for a silent peer");
}
