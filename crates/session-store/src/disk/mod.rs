//! The embedded on-disk store (redb): one node that survives its own restart or crash.
//!
//! redb is pure Rust, ACID, and makes a write transaction durable with one fsync. One thread
//! owns the database and commits every operation waiting for it in one transaction (group
//! commit across sessions): under load, many sessions' batches share an fsync, and each
//! caller hears back only after the commit that made its write durable.

mod tables;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;

use async_trait::async_trait;
use redb::Database;
use tokio::sync::oneshot;
use ws_proto::LostReason;

pub use tables::{LOG, META};

use crate::clock::{Clock, SystemClock};
use crate::record::{Batch, Claim, Loaded, SessionRecord, StoreConfig};
use crate::{Error, Result, SessionStore};
use tables::{Tables, Who, backend};

/// What the caller hears once the transaction is committed (or failed).
type Finish = Box<dyn FnOnce(Result<()>) + Send>;
/// One operation: runs inside the shared transaction (`None` when it could not be opened),
/// returns its finisher and whether storage failed (which aborts the transaction).
type Job = Box<dyn FnOnce(Option<&mut Tables<'_>>, u64) -> (Finish, bool) + Send>;

/// Most operations committed in one transaction.
const MAX_GROUP: usize = 1024;

/// The on-disk store: a redb file `sessions.redb` in a directory.
#[derive(Debug)]
pub struct DiskStore {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
    config: Arc<StoreConfig>,
    set_aside: Option<PathBuf>,
}

impl DiskStore {
    /// Opens (or creates) the store in `dir` on the system clock.
    pub fn open(dir: impl AsRef<Path>, config: StoreConfig) -> Result<Self> {
        Self::open_with_clock(dir, config, Arc::new(SystemClock))
    }

    /// Opens (or creates) the store in `dir` on `clock`. A database file that cannot be
    /// opened because it is damaged is renamed aside (see [`DiskStore::set_aside`]) and a
    /// new one started: its sessions are lost, the node still starts.
    pub fn open_with_clock(
        dir: impl AsRef<Path>,
        config: StoreConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        std::fs::create_dir_all(dir.as_ref()).map_err(backend)?;
        let path = dir.as_ref().join("sessions.redb");
        let (db, set_aside) = open_or_set_aside(&path)?;
        let txn = db.begin_write().map_err(backend)?;
        txn.open_table(META).map_err(backend)?;
        txn.open_table(LOG).map_err(backend)?;
        txn.commit().map_err(backend)?;
        let (jobs, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("session-store-disk".into())
            .spawn(move || run(db, rx, clock))
            .map_err(backend)?;
        Ok(Self { jobs: Some(jobs), thread: Some(thread), config: Arc::new(config), set_aside })
    }

    /// Where a damaged database file was moved at open, if one was.
    pub fn set_aside(&self) -> Option<&Path> {
        self.set_aside.as_deref()
    }

    /// Runs `op` in the next group commit and returns its result once that commit is durable.
    async fn call<T, F>(&self, op: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Tables<'_>, u64, &StoreConfig) -> Result<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let config = Arc::clone(&self.config);
        let job: Job = Box::new(move |tables, now| {
            let result = match tables {
                Some(tables) => op(tables, now, &config),
                None => Err(Error::Backend("disk: no write transaction".into())),
            };
            let failed = matches!(result, Err(Error::Backend(_)));
            let finish: Finish = Box::new(move |commit| {
                let _ = tx.send(commit.and(result));
            });
            (finish, failed)
        });
        let jobs = self.jobs.as_ref().ok_or_else(|| Error::Backend("disk: closed".into()))?;
        jobs.send(job).map_err(|_| Error::Backend("disk: store thread stopped".into()))?;
        rx.await.map_err(|_| Error::Backend("disk: store thread stopped".into()))?
    }
}

impl Drop for DiskStore {
    /// Waits for the store's thread to commit what is queued and close the file, so the
    /// directory can be opened again at once.
    fn drop(&mut self) {
        self.jobs.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn open_or_set_aside(path: &Path) -> Result<(Database, Option<PathBuf>)> {
    match Database::create(path) {
        Ok(db) => Ok((db, None)),
        Err(redb::DatabaseError::Storage(e)) if damaged(&e) => {
            let aside = path.with_extension(format!("redb.corrupt-{}", SystemClock.now_ms()));
            std::fs::rename(path, &aside).map_err(backend)?;
            Ok((Database::create(path).map_err(backend)?, Some(aside)))
        }
        Err(e) => Err(backend(e)),
    }
}

/// Whether an error opening the file says its content is damaged (rather than, say, the
/// directory being unwritable, which setting the file aside would not cure).
fn damaged(e: &redb::StorageError) -> bool {
    use std::io::ErrorKind::{InvalidData, UnexpectedEof};
    match e {
        redb::StorageError::Corrupted(_) => true,
        redb::StorageError::Io(io) => matches!(io.kind(), InvalidData | UnexpectedEof),
        _ => false,
    }
}

/// The store's thread: takes every queued job, runs them in one transaction, commits, then
/// tells each caller.
fn run(db: Database, rx: mpsc::Receiver<Job>, clock: Arc<dyn Clock>) {
    while let Ok(first) = rx.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        commit_group(&db, group, clock.now_ms());
    }
}

fn commit_group(db: &Database, group: Vec<Job>, now: u64) {
    let Ok(txn) = db.begin_write() else {
        return group.into_iter().for_each(|job| job(None, now).0(Err(backend("begin"))));
    };
    let mut finishes = Vec::with_capacity(group.len());
    let mut failed = false;
    match (txn.open_table(META), txn.open_table(LOG)) {
        (Ok(meta), Ok(log)) => {
            let mut tables = Tables { meta, log };
            for job in group {
                let (finish, bad) = job(Some(&mut tables), now);
                failed |= bad;
                finishes.push(finish);
            }
        }
        _ => group.into_iter().for_each(|job| finishes.push(job(None, now).0)),
    }
    let outcome = if failed {
        txn.abort().map_err(backend).and(Err(backend("aborted")))
    } else {
        txn.commit().map_err(backend)
    };
    finishes.into_iter().for_each(|finish| finish(outcome.clone()));
}

#[async_trait]
impl SessionStore for DiskStore {
    async fn create(&self, record: SessionRecord) -> Result<()> {
        self.call(move |t, now, c| t.create(&record, now, c)).await
    }

    async fn claim(&self, id: &str, token: &str, subject: &str) -> Result<Claim> {
        let who = Who { id: id.to_owned(), token: token.to_owned(), subject: subject.to_owned() };
        self.call(move |t, now, c| t.claim(&who, now, c)).await
    }

    async fn write(&self, id: &str, epoch: u64, batch: &Batch) -> Result<()> {
        let (id, batch) = (id.to_owned(), batch.clone());
        self.call(move |t, now, c| t.write(&id, epoch, &batch, now, c)).await
    }

    async fn load(&self, id: &str) -> Result<Loaded> {
        let id = id.to_owned();
        self.call(move |t, now, _| t.load(&id, now)).await
    }

    async fn end(&self, id: &str, epoch: u64, reason: LostReason) -> Result<()> {
        let id = id.to_owned();
        self.call(move |t, now, c| t.end(&id, epoch, reason, now, c)).await
    }

    fn durable(&self) -> bool {
        true
    }
}
