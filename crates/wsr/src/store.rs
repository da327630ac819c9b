//! `wsr serve --store`: where sessions live. A directory is the embedded on-disk store (a
//! node that survives its own restart); a `redis://` URL is the Redis store (nodes sharing
//! sessions). Without `--store`, sessions live in the process's memory.

use std::time::Duration;

use ws_reliable::ServerBuilder;
use ws_reliable::store::{DiskStore, RedisStore, StoreConfig};

use crate::error::{Error, Result};

/// Gives `builder` the store `spec` names (none: the in-memory default). The store forgets
/// a session nobody resumed within `window`, like the server does.
pub async fn apply(
    builder: ServerBuilder,
    spec: Option<&str>,
    window: Duration,
) -> Result<ServerBuilder> {
    let Some(spec) = spec else { return Ok(builder) };
    let config = StoreConfig::default().resume_window(window).tombstone_ttl(window);
    let invalid =
        |e: ws_reliable::store::StoreError| Error::Invalid(format!("--store {spec}: {e}"));
    if spec.starts_with("redis://") || spec.starts_with("rediss://") {
        let store = RedisStore::connect(spec, config).await.map_err(invalid)?;
        tracing::info!(store = %spec, "sessions in Redis");
        return Ok(builder.store(store));
    }
    let store = DiskStore::open(spec, config).map_err(invalid)?;
    if let Some(aside) = store.set_aside() {
        tracing::error!(moved = %aside.display(), "the session store was damaged: set aside, its sessions are lost");
    }
    tracing::info!(store = %spec, "sessions on disk");
    Ok(builder.store(store))
}
