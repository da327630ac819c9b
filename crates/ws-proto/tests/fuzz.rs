//! Fuzzing every decoder that reads peer input, on stable Rust: the binary codec, the JSON
//! codec (control frames included: they ride both), and the session machine fed with whatever
//! decodes. Inputs are mutations of a seed corpus taken from real session traffic (see
//! `fuzz/corpus.rs`), driven by proptest.
//!
//! Properties, for every input:
//! - no panic, no hang (each decode is one bounded pass);
//! - the decoder allocates at most [`alloc_bound`] bytes (counted by a counting global
//!   allocator around the call), so no length field can make it reserve more than it read;
//! - a binary data or ack frame that decodes re-encodes to exactly the input (the codec is
//!   canonical: a corrupted byte either fails with a typed error or is exactly what those bytes
//!   say, never a different reading of them); any other decoded frame round-trips.
//!
//! `WSR_FUZZ_CASES` sets the inputs per target (default 100,000; the documented long run is
//! `WSR_FUZZ_CASES=10000000 cargo test --release -p ws-proto --test fuzz -- --nocapture`).

#![allow(clippy::print_stdout)]

#[path = "fuzz/corpus.rs"]
mod corpus;
#[path = "fuzz/mutate.rs"]
mod mutate;

use std::alloc::System;
use std::time::Instant;

use bytes::Bytes;
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestRunner};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use ws_proto::{Config, ErrorCode, Frame, Session, binary, json};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Bytes a decoder may allocate for an input of `len` bytes: copies of the text it holds, the
/// JSON parser's own buffers, and an error message.
fn alloc_bound(len: usize) -> usize {
    4 * len + 4096
}

fn cases() -> u32 {
    std::env::var("WSR_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000)
}

/// Runs `check` over `cases` inputs mutated from `seeds`, and prints what it saw.
fn fuzz(name: &str, seeds: Vec<Vec<u8>>, cases: u32, check: impl Fn(&[u8]) -> Outcome) {
    let config = RunnerConfig { cases, failure_persistence: None, ..RunnerConfig::default() };
    let mut runner = TestRunner::new(config);
    let (decoded, largest) = (std::cell::Cell::new(0u64), std::cell::Cell::new((0usize, 0usize)));
    let started = Instant::now();
    let result = runner.run(&mutate::inputs(seeds), |input| {
        let outcome = check(&input);
        prop_assert!(
            outcome.allocated <= alloc_bound(input.len()),
            "allocated {} for {} bytes",
            outcome.allocated,
            input.len()
        );
        outcome.verdict.map_err(TestCaseError::fail)?;
        decoded.set(decoded.get() + u64::from(outcome.decoded));
        if outcome.allocated > largest.get().0 {
            largest.set((outcome.allocated, input.len()));
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("fuzz target {name}: {e}");
    }
    let (most, at_len) = largest.get();
    println!(
        "# fuzz {name}: {cases} inputs in {:.1} s, {} decoded, the rest typed errors; largest allocation {most} B (input of {at_len} B, bound {} B)",
        started.elapsed().as_secs_f64(),
        decoded.get(),
        alloc_bound(at_len)
    );
}

/// What one input did.
struct Outcome {
    allocated: usize,
    decoded: bool,
    verdict: Result<(), String>,
}

/// Decodes `input` with `decode`, counting what the call allocates.
fn measured<T>(decode: impl FnOnce() -> T) -> (T, usize) {
    let region = Region::new(GLOBAL);
    let out = decode();
    (out, region.change().bytes_allocated)
}

fn check_binary(input: &[u8]) -> Outcome {
    let bytes = Bytes::copy_from_slice(input);
    let (result, allocated) = measured(|| binary::decode(&bytes));
    let verdict = match &result {
        Ok(frame @ (Frame::Data(_) | Frame::Ack(_))) => {
            let again = binary::encode(frame);
            if again == input { Ok(()) } else { Err(format!("{frame:?} re-encodes to {again:?}")) }
        }
        Ok(frame) => round_trips(frame),
        Err(e) if e.code() == ErrorCode::Malformed => Ok(()),
        Err(e) => Err(format!("a decode error that is not Malformed: {e}")),
    };
    Outcome { allocated, decoded: result.is_ok(), verdict }
}

fn check_json(input: &[u8]) -> Outcome {
    // Text WebSocket messages are UTF-8 (tungstenite checks): decode what such a message holds.
    let text = String::from_utf8_lossy(input).into_owned();
    let (result, allocated) = measured(|| json::decode(&text));
    let verdict = match &result {
        Ok(frame) => round_trips(frame),
        Err(e) if e.code() == ErrorCode::Malformed => Ok(()),
        Err(e) => Err(format!("a decode error that is not Malformed: {e}")),
    };
    Outcome { allocated, decoded: result.is_ok(), verdict }
}

/// A decoded frame survives both codecs unchanged.
fn round_trips(frame: &Frame) -> Result<(), String> {
    let via_json = json::decode(&json::encode(frame)).map_err(|e| e.to_string())?;
    let via_binary = binary::decode(&binary::encode(frame)).map_err(|e| e.to_string())?;
    if &via_json == frame && &via_binary == frame {
        Ok(())
    } else {
        Err(format!("{frame:?} does not round-trip: {via_json:?} / {via_binary:?}"))
    }
}

/// Whatever decodes is fed to an attached session: it may refuse a frame (the caller then
/// closes the connection) but must not panic, and never holds more events than frames it took.
fn check_session(input: &[u8]) -> Outcome {
    let now = Instant::now();
    let mut session = match Session::new(Config::default(), now) {
        Ok(s) => s,
        Err(e) => return Outcome { allocated: 0, decoded: false, verdict: Err(e.to_string()) },
    };
    let _ = session.attach(0, now);
    let mut fed = 0;
    for part in input.split(|&b| b == 0xfe) {
        let Ok(frame) = binary::decode(&Bytes::copy_from_slice(part)) else { continue };
        fed += 1;
        if session.handle_frame(frame, now).is_err() {
            break;
        }
        while session.poll_transmit(now).is_some() {}
    }
    let events = session.pending_events();
    let verdict =
        if events <= fed { Ok(()) } else { Err(format!("{events} events from {fed} frames")) };
    Outcome { allocated: 0, decoded: fed > 0, verdict }
}

/// One test for every target, run one after another: the allocation counter is process-wide,
/// so no other test may run beside a measurement.
#[test]
fn fuzz_every_decoder() {
    truncations_are_errors_or_exact_prefixes();
    fuzz("binary", corpus::binary_seeds(), cases(), check_binary);
    fuzz("json", corpus::json_seeds(), cases(), check_json);
    let mut seeds = corpus::binary_seeds();
    let joined = seeds.iter().fold(Vec::new(), |mut acc, s| {
        acc.extend_from_slice(s);
        acc.push(0xfe);
        acc
    });
    seeds.push(joined);
    fuzz("session", seeds, (cases() / 10).max(1), check_session);
}

/// Every strict prefix of every seed frame: a typed error, or (a data frame cut inside its
/// payload) exactly that prefix.
fn truncations_are_errors_or_exact_prefixes() {
    for frame in corpus::frames() {
        let wire = binary::encode(&frame);
        for cut in 0..wire.len() {
            let prefix = wire.slice(..cut);
            match binary::decode(&prefix) {
                Err(e) => assert_eq!(e.code(), ErrorCode::Malformed),
                // A data frame's payload runs to the end of its WebSocket message, whose own
                // framing says where it ends: a cut inside it is a shorter payload, exactly.
                Ok(got @ Frame::Data(_)) if matches!(frame, Frame::Data(_)) => {
                    assert_eq!(binary::encode(&got), prefix, "{frame:?} cut at {cut}");
                }
                Ok(got) => panic!("{frame:?} cut at {cut} decoded as {got:?}"),
            }
        }
        let text = json::encode(&frame);
        for cut in (0..text.len()).filter(|&c| text.is_char_boundary(c)) {
            assert!(json::decode(&text[..cut]).is_err(), "{text} cut at {cut} decoded");
        }
    }
}
