//! [`Payload`]: what the queue needs to know about a message, its size in bytes.

use std::borrow::Cow;
use std::sync::Arc;

/// A message the queue can hold: it reports its size, which the byte bounds count.
///
/// Implemented for the usual owned byte and text types. Cheaply clonable payloads
/// (`Arc<[u8]>`, `Arc<str>`) keep [`take_batch`](crate::Queue::take_batch) from copying the
/// bytes, since a batch hands out clones while the queue keeps the original until its ack.
pub trait Payload {
    /// The size counted against the byte bounds, usually the encoded length.
    fn size(&self) -> usize;
}

impl Payload for Vec<u8> {
    fn size(&self) -> usize {
        self.len()
    }
}

impl Payload for String {
    fn size(&self) -> usize {
        self.len()
    }
}

impl Payload for Box<[u8]> {
    fn size(&self) -> usize {
        self.len()
    }
}

impl Payload for Box<str> {
    fn size(&self) -> usize {
        self.len()
    }
}

impl Payload for Arc<[u8]> {
    fn size(&self) -> usize {
        self.len()
    }
}

impl Payload for Arc<str> {
    fn size(&self) -> usize {
        self.len()
    }
}

impl Payload for &'static str {
    fn size(&self) -> usize {
        self.len()
    }
}

impl Payload for &'static [u8] {
    fn size(&self) -> usize {
        self.len()
    }
}

impl Payload for Cow<'static, [u8]> {
    fn size(&self) -> usize {
        self.len()
    }
}

impl Payload for Cow<'static, str> {
    fn size(&self) -> usize {
        self.len()
    }
}
