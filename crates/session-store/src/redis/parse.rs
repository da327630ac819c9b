//! Turning script replies into results.

use bytes::Bytes;
use ws_proto::LostReason;

use crate::record::{Loaded, LogEntry, Meta, Progress};
use crate::{Error, Result};

/// The raw reply of the load script: the hash as a flat list, the stream entries, the PTTL.
pub(crate) type LoadReply = (Vec<Vec<u8>>, Vec<(String, Vec<Vec<u8>>)>, i64);

pub(crate) fn backend(e: impl std::fmt::Display) -> Error {
    Error::Backend(format!("redis: {e}"))
}

/// A reason as the scripts store it (the wire name: `closed`, `expired`, ...).
pub(crate) fn reason_name(reason: LostReason) -> String {
    serde_json::to_value(reason)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "closed".to_owned())
}

fn reason_from(name: &str) -> Result<LostReason> {
    serde_json::from_value(serde_json::Value::String(name.to_owned()))
        .map_err(|_| Error::Corrupt(format!("unknown end reason {name:?}")))
}

/// The detail of an `ok` status, or the error another status stands for.
pub(crate) fn status(reply: redis::RedisResult<Vec<String>>) -> Result<String> {
    let reply = reply.map_err(backend)?;
    let field = |i: usize| reply.get(i).map(String::as_str).unwrap_or("");
    let number = |i: usize| field(i).parse::<u64>().map_err(backend);
    match field(0) {
        "ok" => Ok(field(1).to_owned()),
        "lost" => Err(Error::Lost(reason_from(field(1))?)),
        "fenced" => Err(Error::Fenced { writer: 0, current: number(1)? }),
        "order" => Err(Error::OutOfOrder { seq: number(1)?, last: number(2)? }),
        "full" => Err(Error::Full(format!("log of {} bytes", field(1)))),
        other => Err(backend(format!("unexpected script status {other:?}"))),
    }
}

pub(crate) fn loaded(id: &str, (hash, log, pttl): LoadReply, now_ms: u64) -> Result<Loaded> {
    if hash.is_empty() || pttl == -2 {
        return Err(Error::Lost(LostReason::Expired));
    }
    let expires_at_ms = now_ms.saturating_add(u64::try_from(pttl).unwrap_or(0));
    let meta = meta(&Hash { id, fields: &hash }, expires_at_ms)?;
    let log = log.into_iter().map(|(entry_id, fields)| entry(id, &entry_id, fields));
    Ok(Loaded { meta, log: log.collect::<Result<_>>()? })
}

/// A session's hash as the flat list `HGETALL` answers.
struct Hash<'a> {
    id: &'a str,
    fields: &'a [Vec<u8>],
}

impl Hash<'_> {
    fn corrupt(&self, what: &str) -> Error {
        Error::Corrupt(format!("session {}: {what}", self.id))
    }

    fn field(&self, name: &str) -> Option<&[u8]> {
        let mut pairs = self.fields.chunks(2);
        pairs.find(|pair| pair[0] == name.as_bytes()).and_then(|pair| pair.get(1)).map(|v| &v[..])
    }

    fn text(&self, name: &str) -> Result<&str> {
        let value = self.field(name).and_then(|v| std::str::from_utf8(v).ok());
        value.ok_or_else(|| self.corrupt(name))
    }

    fn number(&self, name: &str) -> Result<u64> {
        self.text(name)?.parse().map_err(|_| self.corrupt(name))
    }
}

fn meta(hash: &Hash<'_>, expires_at_ms: u64) -> Result<Meta> {
    let digest = hash.field("digest").and_then(|d| <[u8; 32]>::try_from(d).ok());
    let progress = match hash.text("progress")? {
        "" => Progress::default(),
        json => serde_json::from_str(json).map_err(|_| hash.corrupt("progress"))?,
    };
    Ok(Meta {
        subject: hash.text("subject")?.to_owned(),
        token_digest: digest.ok_or_else(|| hash.corrupt("digest"))?,
        epoch: hash.number("epoch")?,
        ended: match hash.text("ended")? {
            "" => None,
            name => Some(reason_from(name)?),
        },
        progress,
        last_seq: hash.number("last")?,
        log_bytes: hash.number("bytes")?,
        expires_at_ms,
    })
}

fn entry(id: &str, entry_id: &str, fields: Vec<Vec<u8>>) -> Result<LogEntry> {
    let corrupt = || Error::Corrupt(format!("session {id}: log entry {entry_id}"));
    let seq = entry_id.split('-').next().and_then(|s| s.parse().ok()).ok_or_else(corrupt)?;
    let frame = fields.into_iter().nth(1).ok_or_else(corrupt)?;
    Ok(LogEntry { seq, bytes: Bytes::from(frame) })
}
