//! The Redis store: nodes sharing sessions through one Redis, so a client whose node died
//! resumes on another.
//!
//! Every operation is one Lua script (atomic server-side, one round trip): fencing is the
//! script comparing the writer's epoch with the stored one before it appends. Metadata lives
//! in a hash and the outbound log in a stream, both with a TTL equal to the resume window.

mod parse;
mod scripts;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Script};
use ws_proto::LostReason;

use crate::clock::{Clock, SystemClock};
use crate::record::{Batch, Claim, Loaded, SessionRecord, StoreConfig};
use crate::{Error, Result, SessionStore};
use parse::{backend, reason_name, status};

/// Default prefix of every key the store writes.
pub const DEFAULT_PREFIX: &str = "wsr";

/// How long one Redis call may take before the operation fails (nothing is acknowledged on
/// a timeout).
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);

struct Scripts {
    create: Script,
    claim: Script,
    write: Script,
    load: Script,
    end: Script,
}

/// The Redis store over one multiplexed connection (cheap to clone per call).
pub struct RedisStore {
    con: MultiplexedConnection,
    scripts: Arc<Scripts>,
    config: StoreConfig,
    prefix: String,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore").field("prefix", &self.prefix).finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Connects to `url` (`redis://host:port[/db]`); keys start with [`DEFAULT_PREFIX`].
    pub async fn connect(url: &str, config: StoreConfig) -> Result<Self> {
        Self::connect_with_prefix(url, config, DEFAULT_PREFIX).await
    }

    /// Connects to `url`; keys start with `prefix` (several deployments in one Redis).
    pub async fn connect_with_prefix(url: &str, config: StoreConfig, prefix: &str) -> Result<Self> {
        let client = redis::Client::open(url).map_err(backend)?;
        let settings = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(RESPONSE_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT));
        let con = client
            .get_multiplexed_async_connection_with_config(&settings)
            .await
            .map_err(backend)?;
        let scripts = Scripts {
            create: Script::new(scripts::CREATE),
            claim: Script::new(scripts::CLAIM),
            write: Script::new(scripts::WRITE),
            load: Script::new(scripts::LOAD),
            end: Script::new(scripts::END),
        };
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        Ok(Self { con, scripts: Arc::new(scripts), config, prefix: prefix.to_owned(), clock })
    }

    /// Answers whether Redis answers `PING` (for health checks).
    pub async fn ping(&self) -> Result<()> {
        let mut con = self.con.clone();
        redis::cmd("PING").query_async::<String>(&mut con).await.map(drop).map_err(backend)
    }

    fn keys(&self, id: &str) -> [String; 2] {
        [format!("{}:{{{id}}}:m", self.prefix), format!("{}:{{{id}}}:log", self.prefix)]
    }
}

#[async_trait]
impl SessionStore for RedisStore {
    async fn create(&self, record: SessionRecord) -> Result<()> {
        let mut call = self.scripts.create.prepare_invoke();
        call.key(&self.keys(&record.id)[..]).arg(&record.subject).arg(&record.token_digest[..]);
        call.arg(self.config.window_ms());
        status(call.invoke_async(&mut self.con.clone()).await).map(drop)
    }

    async fn claim(&self, id: &str, token: &str, subject: &str) -> Result<Claim> {
        let digest = crate::token_digest(token);
        let mut call = self.scripts.claim.prepare_invoke();
        call.key(&self.keys(id)[..]).arg(&digest[..]).arg(subject).arg(self.config.window_ms());
        let epoch = status(call.invoke_async(&mut self.con.clone()).await)?;
        Ok(Claim { epoch: epoch.parse().map_err(backend)? })
    }

    async fn write(&self, id: &str, epoch: u64, batch: &Batch) -> Result<()> {
        let mut call = self.scripts.write.prepare_invoke();
        call.key(&self.keys(id)[..]).arg(epoch).arg(self.config.window_ms());
        call.arg(self.config.max_log_bytes);
        match &batch.progress {
            Some(p) => call.arg(serde_json::to_vec(p).map_err(backend)?).arg(p.peer_acked),
            None => call.arg("").arg(""),
        };
        call.arg(batch.append.len());
        for entry in &batch.append {
            call.arg(entry.seq).arg(&entry.bytes[..]);
        }
        match status(call.invoke_async(&mut self.con.clone()).await) {
            Err(Error::Fenced { current, .. }) => Err(Error::Fenced { writer: epoch, current }),
            other => other.map(drop),
        }
    }

    async fn load(&self, id: &str) -> Result<Loaded> {
        let mut call = self.scripts.load.prepare_invoke();
        call.key(&self.keys(id)[..]);
        let reply = call.invoke_async(&mut self.con.clone()).await.map_err(backend)?;
        parse::loaded(id, reply, self.clock.now_ms())
    }

    async fn end(&self, id: &str, epoch: u64, reason: LostReason) -> Result<()> {
        let mut call = self.scripts.end.prepare_invoke();
        call.key(&self.keys(id)[..]).arg(reason_name(reason)).arg(self.config.tombstone_ms());
        call.arg(epoch);
        match status(call.invoke_async(&mut self.con.clone()).await) {
            Err(Error::Fenced { current, .. }) => Err(Error::Fenced { writer: epoch, current }),
            other => other.map(drop),
        }
    }

    fn durable(&self) -> bool {
        true
    }
}
