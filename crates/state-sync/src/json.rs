//! A ready-made JSON state whose deltas are JSON merge patches (RFC 7386).
//!
//! A merge patch is a JSON document shaped like the target: object members are merged
//! recursively, `null` deletes a member, and any non-object value replaces what was there.
//! It is what a WebSocket client most easily produces and consumes, and it is total: every
//! patch applies to every document, so a delta accepted here applies at every replica.

use std::io;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::Apply;

/// A JSON document changed by RFC 7386 merge patches.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JsonState(Value);

impl JsonState {
    /// Wraps a document.
    pub fn new(value: Value) -> Self {
        Self(value)
    }

    /// An empty object, the usual starting point.
    pub fn empty_object() -> Self {
        Self(Value::Object(Map::new()))
    }

    /// The document.
    pub fn value(&self) -> &Value {
        &self.0
    }

    /// Unwraps the document.
    pub fn into_value(self) -> Value {
        self.0
    }
}

impl From<Value> for JsonState {
    fn from(value: Value) -> Self {
        Self(value)
    }
}

impl Apply for JsonState {
    type Delta = Value;

    fn apply(&mut self, delta: &Value) {
        merge_patch(&mut self.0, delta);
    }

    /// The patch's serialized length in bytes.
    fn delta_size(delta: &Value) -> usize {
        let mut counter = ByteCounter(0);
        // Writing a `Value` into a sink that never fails cannot fail.
        let _ = serde_json::to_writer(&mut counter, delta);
        counter.0
    }
}

/// Applies an RFC 7386 merge patch to `target` in place.
///
/// Recursion follows the patch's nesting; `serde_json` caps parsed documents at 128 levels,
/// so patches from peers cannot exhaust the stack.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(members) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(fields) = target else {
        return;
    };
    for (key, value) in members {
        if value.is_null() {
            fields.remove(key);
        } else {
            merge_patch(fields.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

/// Counts bytes written to it and discards them.
struct ByteCounter(usize);

impl io::Write for ByteCounter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests;
