//! Streams: many chunks of one logical response, verified end to end by a SHA-256 digest.
//!
//! The sender numbers chunks from 0 and puts the digest of every payload byte on the last
//! chunk; the receiver checks the order and recomputes the digest. Both sides live in the
//! session, which outlives connections, so a stream interrupted by a disconnect simply
//! continues after the resume: the replay supplies exactly the missing chunks.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::frame::{Payload, StreamPart};

/// What a received chunk means for its stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkStatus {
    /// More chunks follow.
    More,
    /// The last chunk; the digest matched.
    Complete,
    /// The last chunk; the digest did not match what arrived. The stream's content is wrong.
    Corrupted,
}

/// The sending half of one stream.
#[derive(Clone, Debug)]
pub struct StreamTx {
    id: String,
    next: u64,
    hasher: Sha256,
    finished: bool,
}

impl StreamTx {
    /// A new stream with the given id (unique within the session).
    pub fn new(id: impl Into<String>) -> Self {
        Self { id: id.into(), next: 0, hasher: Sha256::new(), finished: false }
    }

    /// The stream's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The stream fields for the next chunk carrying `payload`; `last` ends the stream.
    pub fn part(&mut self, payload: &Payload, last: bool) -> Result<StreamPart> {
        if self.finished {
            return Err(self.bad("write after the last chunk"));
        }
        self.hasher.update(payload_bytes(payload));
        let digest = last.then(|| self.hasher.clone().finalize().into());
        self.finished = last;
        let index = self.next;
        self.next += 1;
        Ok(StreamPart { id: self.id.clone(), index, last, digest })
    }

    fn bad(&self, detail: &str) -> Error {
        Error::BadStream { stream: self.id.clone(), detail: detail.to_owned() }
    }
}

/// The receiving side of every open stream of a session.
#[derive(Debug, Default)]
pub struct StreamRx {
    open: HashMap<String, (u64, Sha256)>,
    max_open: usize,
}

impl StreamRx {
    /// A receiver that refuses more than `max_open` unfinished streams at once.
    pub fn new(max_open: usize) -> Self {
        Self { open: HashMap::new(), max_open }
    }

    /// Number of streams started and not finished.
    pub fn open_streams(&self) -> usize {
        self.open.len()
    }

    /// Accounts one chunk, in sequence order. Errors on a chunk out of order.
    pub fn accept(&mut self, part: &StreamPart, payload: &Payload) -> Result<ChunkStatus> {
        self.check_order(part)?;
        let (next, hasher) = self.open.entry(part.id.clone()).or_insert_with(|| (0, Sha256::new()));
        hasher.update(payload_bytes(payload));
        *next += 1;
        if !part.last {
            return Ok(ChunkStatus::More);
        }
        let (_, hasher) = self.open.remove(&part.id).unwrap_or_default();
        let actual: [u8; 32] = hasher.finalize().into();
        Ok(if part.digest == Some(actual) { ChunkStatus::Complete } else { ChunkStatus::Corrupted })
    }

    fn check_order(&self, part: &StreamPart) -> Result<()> {
        let bad = |detail: String| Error::BadStream { stream: part.id.clone(), detail };
        let expected = self.open.get(&part.id).map_or(0, |(next, _)| *next);
        if part.index != expected {
            return Err(bad(format!("chunk {} where {expected} was due", part.index)));
        }
        if expected == 0 && self.open.len() >= self.max_open && !part.last {
            return Err(bad(format!("more than {} open streams", self.max_open)));
        }
        Ok(())
    }
}

fn payload_bytes(payload: &Payload) -> &[u8] {
    match payload {
        Payload::Text(text) => text.as_bytes(),
        Payload::Binary(bytes) => bytes,
    }
}
