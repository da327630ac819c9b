//! The JSON codec: one frame per WebSocket text message.
//!
//! Each frame is a JSON object with exactly one key, the frame type in snake case, whose value
//! holds the fields: `{"data":{"seq":1,"text":"hi"}}`. Binary payloads travel base64-encoded
//! under `b64`. This is the codec for browsers and for clients in other languages.

use crate::error::{Error, Result};
use crate::frame::Frame;

/// Encodes a frame as JSON text.
pub fn encode(frame: &Frame) -> String {
    // Serializing these types cannot fail: every map key is a string and no value is a float NaN.
    serde_json::to_string(frame).unwrap_or_default()
}

/// Decodes a frame from JSON text. Never panics, whatever the input.
pub fn decode(text: &str) -> Result<Frame> {
    serde_json::from_str(text).map_err(|e| Error::Malformed(e.to_string()))
}
