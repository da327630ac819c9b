//! Drives a chaos run: the clients, each through its own fault proxy, and the injector that
//! breaks their connections on a seeded schedule.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use fault_proxy::{Fault, Proxy};
use indicatif::ProgressBar;
use parking_lot::Mutex;
use tokio::sync::watch;
use ws_reliable::{Client, ClientConfig, ConnState, Error, Message, Session};

use crate::chaos::check::{Chunk, data_text, parse_data, stream_request};
use crate::chaos::faults::{Action, FaultKind, Schedule};
use crate::error::Result;

/// One client's proxy, and what the injector tells that client's receiver.
pub(crate) struct Target {
    proxy: Proxy,
    /// When faults hit and no message has arrived since.
    pending_faults: Mutex<Vec<Instant>>,
    /// Bumped by every fault, so a stall's end does not cancel a later fault.
    generation: AtomicU64,
}

/// The schedule every client follows.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Plan {
    /// Data messages to send.
    pub(crate) messages: u64,
    /// Chunks of the stream to request halfway through (0: none).
    pub(crate) chunks: u64,
    /// When message 0 goes.
    pub(crate) start: Instant,
    /// Time between two messages.
    pub(crate) pace: Duration,
    /// When the receiver gives up waiting.
    pub(crate) deadline: Instant,
}

/// An explicit or silent end of a client's session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Loss {
    /// Why, as the application saw it.
    pub(crate) reason: String,
    /// Whether `send` or `recv` returned the loss to the application.
    pub(crate) told: bool,
}

/// Everything one client saw.
#[derive(Debug, Default)]
pub(crate) struct ClientOutcome {
    /// Data messages the client's `send` accepted.
    pub(crate) sent: u64,
    /// Echo sequence numbers in arrival order.
    pub(crate) echoes: Vec<u64>,
    /// Arrivals that were not this client's data or stream.
    pub(crate) unreadable: u64,
    /// Stream chunks in arrival order.
    pub(crate) chunks: Vec<Chunk>,
    /// The library reported a stream digest mismatch.
    pub(crate) digest_failed: bool,
    /// How the session ended, if not on purpose.
    pub(crate) loss: Option<Loss>,
    /// Reconnections (proxy connections after the first).
    pub(crate) reconnects: u64,
    /// Times the client went from reconnecting back to connected.
    pub(crate) resumes: u64,
    /// From each fault to the next message that arrived.
    pub(crate) recoveries: Vec<Duration>,
    /// Faults that hit while the stream was partly received.
    pub(crate) faults_mid_stream: u64,
}

/// Starts one proxy per client in front of `upstream`.
pub(crate) async fn start_targets(upstream: SocketAddr, clients: u32) -> Result<Vec<Arc<Target>>> {
    let mut targets = Vec::new();
    for _ in 0..clients {
        targets.push(Arc::new(Target {
            proxy: Proxy::start(upstream).await?,
            pending_faults: Mutex::new(Vec::new()),
            generation: AtomicU64::new(0),
        }));
    }
    Ok(targets)
}

/// Connects one client through its proxy.
pub(crate) async fn connect(config: ClientConfig, target: &Target) -> Result<Client> {
    let url = format!("ws://{}/ws", target.proxy.addr());
    Ok(Client::builder().config(config).connect(url).await?)
}

/// Runs client `id`: sends its messages and stream request on the plan's pace, receives
/// until everything arrived, the session is lost, or the deadline passes, then closes.
pub(crate) async fn run_client(
    id: u32,
    client: Client,
    target: Arc<Target>,
    plan: Plan,
    progress: ProgressBar,
) -> ClientOutcome {
    let resumes = Arc::new(AtomicU64::new(0));
    let watcher = tokio::spawn(count_resumes(client.state(), Arc::clone(&resumes)));
    let sent = Arc::new(AtomicU64::new(0));
    let mut sender = tokio::spawn(send_all(client.session().clone(), id, plan, Arc::clone(&sent)));
    let mut outcome = receive_all(&client, id, &plan, &target, &progress).await;
    let send_loss = match tokio::time::timeout(Duration::from_secs(1), &mut sender).await {
        Ok(Ok(loss)) => loss,
        _ => None,
    };
    sender.abort();
    outcome.loss = outcome.loss.or(send_loss);
    if outcome.loss.is_none() {
        close(client, id).await;
    }
    watcher.abort();
    outcome.sent = sent.load(Ordering::Relaxed);
    outcome.resumes = resumes.load(Ordering::Relaxed);
    outcome.reconnects = target.proxy.accepted().saturating_sub(1);
    outcome
}

/// Injects one planned fault every `interval` until `until`; returns the counts by kind.
pub(crate) async fn inject_faults(
    targets: Vec<Arc<Target>>,
    mut schedule: Schedule,
    interval: Duration,
    until: Instant,
) -> BTreeMap<FaultKind, u64> {
    let mut counts = BTreeMap::new();
    let first = tokio::time::Instant::now() + interval;
    let mut ticks = tokio::time::interval_at(first, interval.max(Duration::from_millis(1)));
    loop {
        ticks.tick().await;
        if Instant::now() >= until {
            return counts;
        }
        let Some(planned) = schedule.next_fault() else {
            return counts;
        };
        if let Some(target) = targets.get(planned.client) {
            apply(target, planned.action);
            *counts.entry(planned.action.kind()).or_default() += 1;
        }
    }
}

fn apply(target: &Arc<Target>, action: Action) {
    let generation = target.generation.fetch_add(1, Ordering::SeqCst) + 1;
    target.pending_faults.lock().push(Instant::now());
    tracing::debug!(?action, "injecting");
    target.proxy.inject(action.fault());
    if let Action::Stall { duration, .. } = action {
        let target = Arc::clone(target);
        tokio::spawn(async move {
            tokio::time::sleep(duration).await;
            if target.generation.load(Ordering::SeqCst) == generation {
                target.proxy.inject(Fault::None);
            }
        });
    }
}

/// Sends the data messages on pace, with the stream request halfway; returns the loss if
/// `send` reported one.
async fn send_all(session: Session, id: u32, plan: Plan, sent: Arc<AtomicU64>) -> Option<Loss> {
    let pace = u64::try_from(plan.pace.as_nanos()).unwrap_or(u64::MAX);
    for i in 0..plan.messages {
        let at = plan.start + Duration::from_nanos(pace.saturating_mul(i));
        tokio::time::sleep_until(at.into()).await;
        if i == plan.messages / 2
            && plan.chunks > 0
            && let Err(e) = session.send(stream_request(id, plan.chunks)).await
        {
            return Some(told(&e));
        }
        if let Err(e) = session.send(data_text(id, i)).await {
            return Some(told(&e));
        }
        sent.fetch_add(1, Ordering::Relaxed);
    }
    None
}

async fn receive_all(
    client: &Client,
    id: u32,
    plan: &Plan,
    target: &Target,
    progress: &ProgressBar,
) -> ClientOutcome {
    let mut got = ClientOutcome::default();
    while !complete(&got, plan) {
        match tokio::time::timeout_at(plan.deadline.into(), client.recv()).await {
            Ok(Ok(Some(message))) => {
                recovered(&mut got, target);
                record(&mut got, id, message);
                progress.inc(1);
            }
            Ok(Err(Error::StreamCorrupted(_))) => got.digest_failed = true,
            Ok(Err(e)) => got.loss = Some(told(&e)),
            Ok(Ok(None)) => got.loss = Some(silent("closed by the server, which never closes")),
            Err(_) => got.loss = Some(silent("nothing arrived before the deadline")),
        }
        if got.loss.is_some() {
            break;
        }
    }
    got
}

/// Every fault since the last arrival has recovered now.
fn recovered(got: &mut ClientOutcome, target: &Target) {
    let now = Instant::now();
    let before = got.recoveries.len();
    got.recoveries.extend(target.pending_faults.lock().drain(..).map(|t| now - t));
    if got.chunks.last().is_some_and(|c| !c.last) {
        got.faults_mid_stream += (got.recoveries.len() - before) as u64;
    }
}

fn complete(got: &ClientOutcome, plan: &Plan) -> bool {
    let echoes = u64::try_from(got.echoes.len()).unwrap_or(u64::MAX);
    let stream_done = plan.chunks == 0
        || got.digest_failed
        || got.chunks.last().is_some_and(|c| c.last)
        || u64::try_from(got.chunks.len()).unwrap_or(u64::MAX) >= plan.chunks;
    echoes >= plan.messages && stream_done
}

fn record(got: &mut ClientOutcome, id: u32, message: Message) {
    let text = message.text().unwrap_or_default().to_owned();
    if let Some(chunk) = message.stream {
        got.chunks.push(Chunk { index: chunk.index, last: chunk.last, text });
        return;
    }
    match parse_data(&text) {
        Some((client, index)) if client == id => got.echoes.push(index),
        _ => got.unreadable += 1,
    }
}

async fn count_resumes(mut state: watch::Receiver<ConnState>, resumes: Arc<AtomicU64>) {
    let mut down = false;
    while state.changed().await.is_ok() {
        match *state.borrow_and_update() {
            ConnState::Connected if down => {
                down = false;
                resumes.fetch_add(1, Ordering::Relaxed);
            }
            ConnState::Reconnecting { .. } => down = true,
            _ => {}
        }
    }
}

async fn close(client: Client, id: u32) {
    match tokio::time::timeout(Duration::from_secs(10), client.close()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(client = id, error = %e, "close failed"),
        Err(_) => tracing::warn!(client = id, "close timed out"),
    }
}

/// A loss the application was told about: only [`Error::SessionLost`] says so; any other
/// error ending a session is counted as silent.
fn told(error: &Error) -> Loss {
    match error {
        Error::SessionLost(reason) => Loss { reason: format!("{reason:?}"), told: true },
        other => silent(&format!("unexpected error: {other}")),
    }
}

fn silent(reason: &str) -> Loss {
    Loss { reason: reason.to_owned(), told: false }
}
