//! The rules every backend applies, on plain metadata: the memory and disk stores call these
//! inside their lock or transaction; the Redis store's Lua scripts mirror them.

use subtle::ConstantTimeEq;
use ws_proto::LostReason;

use crate::record::{Batch, Claim, Meta, StoreConfig, token_digest};
use crate::{Error, Result};

/// Checks the credentials, then bumps the epoch and refreshes the resume window.
pub(crate) fn claim(
    meta: &mut Meta,
    token: &str,
    subject: &str,
    now_ms: u64,
    config: &StoreConfig,
) -> Result<Claim> {
    let token_ok: bool = meta.token_digest.ct_eq(&token_digest(token)).into();
    if !token_ok || meta.subject != subject {
        return Err(Error::Lost(LostReason::Unauthorized));
    }
    if let Some(reason) = meta.ended {
        return Err(Error::Lost(reason));
    }
    meta.epoch += 1;
    meta.expires_at_ms = now_ms.saturating_add(config.window_ms());
    Ok(Claim { epoch: meta.epoch })
}

/// Through which sequence number the log is trimmed once `batch` is applied.
pub(crate) fn trim_through(meta: &Meta, batch: &Batch) -> u64 {
    batch.progress.as_ref().map_or(meta.progress.peer_acked, |p| p.peer_acked)
}

/// Whether the owner at `epoch` may apply `batch`; `trimmed` is the frame bytes the batch's
/// ack removes from the log (the bound holds after the trim).
pub(crate) fn check_write(
    meta: &Meta,
    epoch: u64,
    batch: &Batch,
    trimmed: u64,
    config: &StoreConfig,
) -> Result<()> {
    if let Some(reason) = meta.ended {
        return Err(Error::Lost(reason));
    }
    if epoch != meta.epoch {
        return Err(Error::Fenced { writer: epoch, current: meta.epoch });
    }
    let mut last = meta.last_seq;
    for entry in &batch.append {
        if entry.seq != last + 1 {
            return Err(Error::OutOfOrder { seq: entry.seq, last });
        }
        last = entry.seq;
    }
    let bytes = meta.log_bytes.saturating_add(batch.append_bytes()).saturating_sub(trimmed);
    if bytes > config.max_log_bytes {
        return Err(Error::Full(format!("log of {bytes} bytes over {}", config.max_log_bytes)));
    }
    Ok(())
}

/// Applies a checked batch to the metadata; the backend trims the log through
/// [`trim_through`] and subtracts the bytes with [`trimmed`].
pub(crate) fn apply(meta: &mut Meta, batch: &Batch, now_ms: u64, config: &StoreConfig) {
    if let Some(last) = batch.append.last() {
        meta.last_seq = last.seq;
    }
    meta.log_bytes = meta.log_bytes.saturating_add(batch.append_bytes());
    if let Some(progress) = &batch.progress {
        meta.progress = progress.clone();
    }
    meta.expires_at_ms = now_ms.saturating_add(config.window_ms());
}

/// Accounts for `bytes` trimmed off the log.
pub(crate) fn trimmed(meta: &mut Meta, bytes: u64) {
    meta.log_bytes = meta.log_bytes.saturating_sub(bytes);
}

/// Marks the session ended, as the owner at `epoch`; it is forgotten after the tombstone TTL.
pub(crate) fn end(
    meta: &mut Meta,
    epoch: u64,
    reason: LostReason,
    now_ms: u64,
    config: &StoreConfig,
) -> Result<()> {
    if meta.ended.is_none() && epoch != meta.epoch {
        return Err(Error::Fenced { writer: epoch, current: meta.epoch });
    }
    meta.ended = Some(reason);
    meta.log_bytes = 0;
    meta.expires_at_ms = now_ms.saturating_add(config.tombstone_ms());
    Ok(())
}
