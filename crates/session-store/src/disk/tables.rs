//! The on-disk layout and the operations on it, inside one write transaction.
//!
//! Two tables: `meta` maps a session id to its [`Meta`] as JSON; `log` maps `(id, seq)` to a
//! frame prefixed by its length (4 bytes, little endian), so a truncated value is detected.
//! redb checksums its pages; these checks catch a record that is whole but wrong.

use redb::{ReadableTable, Table, TableDefinition};
use ws_proto::LostReason;

use crate::record::{Batch, Claim, Loaded, LogEntry, Meta, SessionRecord, StoreConfig};
use crate::{Error, Result, logic};

/// Session id → metadata (JSON).
pub const META: TableDefinition<'static, &'static str, &'static [u8]> =
    TableDefinition::new("meta");
/// `(session id, seq)` → length-prefixed frame.
pub const LOG: TableDefinition<'static, (&'static str, u64), &'static [u8]> =
    TableDefinition::new("log");

/// Both tables, open in one write transaction.
pub(crate) struct Tables<'t> {
    pub(crate) meta: Table<'t, &'static str, &'static [u8]>,
    pub(crate) log: Table<'t, (&'static str, u64), &'static [u8]>,
}

pub(crate) fn backend(e: impl std::fmt::Display) -> Error {
    Error::Backend(format!("disk: {e}"))
}

impl Tables<'_> {
    fn get_meta(&self, id: &str, now_ms: u64) -> Result<Meta> {
        let raw = self.meta.get(id).map_err(backend)?;
        let meta = match raw {
            None => None,
            Some(value) => Some(
                serde_json::from_slice::<Meta>(value.value())
                    .map_err(|e| Error::Corrupt(format!("session {id}: metadata: {e}")))?,
            ),
        };
        live(meta, now_ms)
    }

    fn put_meta(&mut self, id: &str, meta: &Meta) -> Result<()> {
        let json = serde_json::to_vec(meta).map_err(backend)?;
        self.meta.insert(id, json.as_slice()).map_err(backend)?;
        Ok(())
    }

    /// The frame bytes of the log entries of `id` up to `through`.
    fn bytes_through(&self, id: &str, through: u64) -> Result<u64> {
        let mut bytes = 0u64;
        for item in self.log.range((id, 0)..=(id, through)).map_err(backend)? {
            let (_, value) = item.map_err(backend)?;
            bytes += value.value().len().saturating_sub(4) as u64;
        }
        Ok(bytes)
    }

    /// Removes the log entries of `id` up to `through`.
    fn trim(&mut self, id: &str, through: u64) -> Result<()> {
        self.log.retain_in((id, 0)..=(id, through), |_, _| false).map_err(backend)
    }

    pub(crate) fn create(
        &mut self,
        record: &SessionRecord,
        now: u64,
        c: &StoreConfig,
    ) -> Result<()> {
        self.trim(&record.id, u64::MAX)?;
        self.put_meta(&record.id, &Meta::new(record, now.saturating_add(c.window_ms())))
    }

    pub(crate) fn claim(&mut self, who: &Who, now: u64, c: &StoreConfig) -> Result<Claim> {
        let mut meta = self.get_meta(&who.id, now)?;
        let claim = logic::claim(&mut meta, &who.token, &who.subject, now, c)?;
        self.put_meta(&who.id, &meta)?;
        Ok(claim)
    }

    pub(crate) fn write(
        &mut self,
        id: &str,
        epoch: u64,
        batch: &Batch,
        now: u64,
        c: &StoreConfig,
    ) -> Result<()> {
        let mut meta = self.get_meta(id, now)?;
        let through = logic::trim_through(&meta, batch);
        let trimmed = self.bytes_through(id, through)?;
        logic::check_write(&meta, epoch, batch, trimmed, c)?;
        for entry in &batch.append {
            let len = u32::try_from(entry.bytes.len()).map_err(backend)?;
            let mut value = Vec::with_capacity(entry.bytes.len() + 4);
            value.extend_from_slice(&len.to_le_bytes());
            value.extend_from_slice(&entry.bytes);
            self.log.insert((id, entry.seq), value.as_slice()).map_err(backend)?;
        }
        logic::apply(&mut meta, batch, now, c);
        self.trim(id, through)?;
        logic::trimmed(&mut meta, trimmed);
        self.put_meta(id, &meta)
    }

    pub(crate) fn load(&mut self, id: &str, now: u64) -> Result<Loaded> {
        let meta = self.get_meta(id, now)?;
        let mut log = Vec::new();
        for item in self.log.range((id, 0)..=(id, u64::MAX)).map_err(backend)? {
            let (key, value) = item.map_err(backend)?;
            log.push(decode_entry(id, key.value().1, value.value())?);
        }
        Ok(Loaded { meta, log })
    }

    pub(crate) fn end(
        &mut self,
        id: &str,
        epoch: u64,
        reason: LostReason,
        now: u64,
        c: &StoreConfig,
    ) -> Result<()> {
        let mut meta = match self.get_meta(id, now) {
            Ok(meta) => meta,
            Err(Error::Lost(_) | Error::Corrupt(_)) => return Ok(()),
            Err(e) => return Err(e),
        };
        logic::end(&mut meta, epoch, reason, now, c)?;
        self.trim(id, u64::MAX)?;
        self.put_meta(id, &meta)
    }
}

/// A claim's credentials, owned so that it can cross to the store's thread.
pub(crate) struct Who {
    pub(crate) id: String,
    pub(crate) token: String,
    pub(crate) subject: String,
}

/// The metadata, unless it is absent or past its expiry (then the session is unknown).
fn live(meta: Option<Meta>, now_ms: u64) -> Result<Meta> {
    match meta {
        Some(meta) if meta.expires_at_ms > now_ms => Ok(meta),
        _ => Err(Error::Lost(LostReason::Expired)),
    }
}

fn decode_entry(id: &str, seq: u64, value: &[u8]) -> Result<LogEntry> {
    let corrupt = || Error::Corrupt(format!("session {id}: log entry {seq} truncated"));
    let (len, frame) = value.split_first_chunk::<4>().ok_or_else(corrupt)?;
    if u32::from_le_bytes(*len) as usize != frame.len() {
        return Err(corrupt());
    }
    Ok(LogEntry { seq, bytes: bytes::Bytes::copy_from_slice(frame) })
}
