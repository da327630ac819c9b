//! The compact binary codec: one frame per WebSocket binary message.
//!
//! The hot frames have a hand-made layout; the rare control frames reuse the JSON encoding
//! behind a one-byte tag, so the two codecs cannot drift apart on them.
//!
//! ```text
//! data:    0x01 flags:u8 seq:varint [id_len:varint id] [sid_len:varint sid index:varint [digest:32]] payload...
//! ack:     0x02 up_to:varint
//! control: 0x00 json...
//! ```
//!
//! Varints are unsigned LEB128, minimal (at most 10 bytes; an overlong one is malformed). Flags: bit 0 binary payload (else UTF-8
//! text), bit 1 id present, bit 2 stream present, bit 3 last chunk, bit 4 digest present,
//! bit 5 state-sync message, bit 6 close marker (fin).
//! The payload runs to the end of the message.

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::{Error, Result};
use crate::frame::{Ack, Data, Frame, Payload, StreamPart};

const TAG_CONTROL: u8 = 0x00;
const TAG_DATA: u8 = 0x01;
const TAG_ACK: u8 = 0x02;

const F_BINARY: u8 = 1;
const F_ID: u8 = 1 << 1;
const F_STREAM: u8 = 1 << 2;
const F_LAST: u8 = 1 << 3;
const F_DIGEST: u8 = 1 << 4;
const F_STATE: u8 = 1 << 5;
const F_FIN: u8 = 1 << 6;
const F_KNOWN: u8 = F_BINARY | F_ID | F_STREAM | F_LAST | F_DIGEST | F_STATE | F_FIN;

/// Encodes a frame.
pub fn encode(frame: &Frame) -> Bytes {
    match frame {
        Frame::Data(data) => encode_data(data),
        Frame::Ack(ack) => {
            let mut out = BytesMut::with_capacity(11);
            out.put_u8(TAG_ACK);
            put_varint(&mut out, ack.up_to);
            out.freeze()
        }
        other => {
            let json = crate::json::encode(other);
            let mut out = BytesMut::with_capacity(json.len() + 1);
            out.put_u8(TAG_CONTROL);
            out.put_slice(json.as_bytes());
            out.freeze()
        }
    }
}

/// Decodes a frame. Never panics, whatever the input.
pub fn decode(bytes: &Bytes) -> Result<Frame> {
    let mut r = Reader { bytes, pos: 0 };
    match r.u8()? {
        TAG_DATA => decode_data(&mut r).map(Frame::Data),
        TAG_ACK => {
            let up_to = r.varint()?;
            r.end()?;
            Ok(Frame::Ack(Ack { up_to }))
        }
        TAG_CONTROL => {
            let text = std::str::from_utf8(&bytes[1..]).map_err(|e| malformed(&e.to_string()))?;
            match crate::json::decode(text)? {
                Frame::Data(_) | Frame::Ack(_) => Err(malformed("data or ack in a control frame")),
                frame => Ok(frame),
            }
        }
        tag => Err(malformed(&format!("unknown frame tag {tag:#04x}"))),
    }
}

fn encode_data(data: &Data) -> Bytes {
    let (flags, body) = match &data.payload {
        Payload::Text(text) => (0, text.as_bytes()),
        Payload::Binary(bytes) => (F_BINARY, bytes.as_ref()),
    };
    let id_len = data.id.as_ref().map_or(0, |id| id.len() + 10);
    let stream_len = data.stream.as_ref().map_or(0, |s| s.id.len() + 52);
    let mut out = BytesMut::with_capacity(12 + id_len + stream_len + body.len());
    out.put_u8(TAG_DATA);
    out.put_u8(flags | stream_flags(data));
    put_varint(&mut out, data.seq);
    if let Some(id) = &data.id {
        put_str(&mut out, id);
    }
    if let Some(part) = &data.stream {
        put_str(&mut out, &part.id);
        put_varint(&mut out, part.index);
        if let Some(digest) = &part.digest {
            out.put_slice(digest);
        }
    }
    out.put_slice(body);
    out.freeze()
}

fn stream_flags(data: &Data) -> u8 {
    let mut flags = if data.id.is_some() { F_ID } else { 0 };
    flags |= if data.state { F_STATE } else { 0 };
    flags |= if data.fin { F_FIN } else { 0 };
    if let Some(part) = &data.stream {
        flags |= F_STREAM;
        flags |= if part.last { F_LAST } else { 0 };
        flags |= if part.digest.is_some() { F_DIGEST } else { 0 };
    }
    flags
}

fn decode_data(r: &mut Reader<'_>) -> Result<Data> {
    let flags = r.u8()?;
    if flags & !F_KNOWN != 0 || (flags & F_STREAM == 0 && flags & (F_LAST | F_DIGEST) != 0) {
        return Err(malformed("invalid data flags"));
    }
    let seq = r.varint()?;
    let id = if flags & F_ID != 0 { Some(r.string()?) } else { None };
    let stream = if flags & F_STREAM != 0 { Some(decode_stream(r, flags)?) } else { None };
    let payload = decode_payload(r.bytes.slice(r.pos..), flags)?;
    let (state, fin) = (flags & F_STATE != 0, flags & F_FIN != 0);
    Ok(Data { seq, id, stream, payload, state, fin })
}

fn decode_payload(rest: Bytes, flags: u8) -> Result<Payload> {
    if flags & F_BINARY != 0 {
        return Ok(Payload::Binary(rest));
    }
    let text = String::from_utf8(rest.to_vec()).map_err(|e| malformed(&e.to_string()))?;
    Ok(Payload::Text(text))
}

fn decode_stream(r: &mut Reader<'_>, flags: u8) -> Result<StreamPart> {
    let id = r.string()?;
    let index = r.varint()?;
    let digest = if flags & F_DIGEST != 0 {
        let mut out = [0u8; 32];
        out.copy_from_slice(r.take(32)?);
        Some(out)
    } else {
        None
    };
    Ok(StreamPart { id, index, last: flags & F_LAST != 0, digest })
}

fn put_varint(out: &mut BytesMut, mut v: u64) {
    while v >= 0x80 {
        out.put_u8((v as u8) | 0x80);
        v >>= 7;
    }
    out.put_u8(v as u8);
}

fn put_str(out: &mut BytesMut, s: &str) {
    put_varint(out, s.len() as u64);
    out.put_slice(s.as_bytes());
}

fn malformed(detail: &str) -> Error {
    Error::Malformed(detail.to_owned())
}

/// A bounds-checked cursor: every read returns an error instead of panicking.
struct Reader<'a> {
    bytes: &'a Bytes,
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8]> {
        let end = self.pos.checked_add(n).filter(|&end| end <= self.bytes.len());
        let end = end.ok_or_else(|| malformed("truncated frame"))?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn varint(&mut self) -> Result<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.u8()?;
            let bits = u64::from(byte & 0x7f);
            if shift == 63 && bits > 1 {
                return Err(malformed("varint overflows u64"));
            }
            value |= bits << shift;
            if byte & 0x80 == 0 {
                // Minimal LEB128 only, so that one value has one encoding: a last byte of 0
                // after the first adds nothing.
                return if shift > 0 && byte == 0 {
                    Err(malformed("overlong varint"))
                } else {
                    Ok(value)
                };
            }
        }
        Err(malformed("varint too long"))
    }

    fn string(&mut self) -> Result<String> {
        let len = usize::try_from(self.varint()?).map_err(|_| malformed("length overflow"))?;
        let raw = self.take(len)?;
        String::from_utf8(raw.to_vec()).map_err(|e| malformed(&e.to_string()))
    }

    fn end(&self) -> Result<()> {
        if self.pos == self.bytes.len() { Ok(()) } else { Err(malformed("trailing bytes")) }
    }
}
