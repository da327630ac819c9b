//! Helpers for the fault scenarios: a server whose sessions carry numbered messages both ways
//! at once, a client that does the same, fault triggers tied to progress, and the delivery
//! checker.
//!
//! Every message carries its own counter (`u17` client to server, `d17` server to client,
//! padded to a fixed size), so loss, duplicates and reordering are found from what the
//! applications received, independently of the library's sequence numbers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use ws_reliable::{
    Client, ClientConfig, ConnState, Error, Server, ServerConfig, ServerHandle, Session,
};
use ws_reliable_tests::{Fault, Proxy};

/// Padding after each message's counter, so that frames are a few hundred bytes and a cut
/// after an arbitrary byte count lands inside one almost always.
pub(crate) const PAD: usize = 240;

pub(crate) use crate::support::{bounded, wait_until};

/// The text of message `index` in the direction named by `prefix` (`u` or `d`).
pub(crate) fn text(prefix: char, index: u64) -> String {
    format!("{prefix}{index}:{}", "x".repeat(PAD))
}

/// Parses a message text back into its counter; `u64::MAX` for anything else.
pub(crate) fn parse(prefix: char, text: Option<&str>) -> u64 {
    let parsed = text.and_then(|t| t.strip_prefix(prefix)).and_then(|t| t.split_once(':'));
    parsed.and_then(|(n, pad)| (pad.len() == PAD).then(|| n.parse().ok())?).unwrap_or(u64::MAX)
}

/// Yields to the network every few messages, so that faults land while data is in flight.
pub(crate) async fn pace(index: u64) {
    if index % 16 == 15 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Waits `gap` after a send, or paces (see [`pace`]) without one.
async fn wait(index: u64, gap: Option<Duration>) {
    match gap {
        Some(gap) => tokio::time::sleep(gap).await,
        None => pace(index).await,
    }
}

/// What one direction of one session delivered, against what was sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Delivery {
    /// Messages the sending application handed over.
    pub(crate) sent: u64,
    /// Distinct messages that arrived.
    pub(crate) delivered: u64,
    /// Missing messages not explained by an explicit loss (gaps, or a tail while not lost).
    pub(crate) lost: u64,
    /// Arrivals of a message that had already arrived.
    pub(crate) duplicated: u64,
    /// Arrivals after a later message.
    pub(crate) out_of_order: u64,
    /// Arrivals that were never sent (unreadable or out of range).
    pub(crate) corrupted: u64,
    /// The missing tail of a session that was lost and said so.
    pub(crate) abandoned: u64,
}

impl Delivery {
    /// Checks `received` (counters in arrival order) against `0..sent`. `told_lost`: the
    /// receiving application was told the session was lost, so a missing tail is abandoned.
    pub(crate) fn check(sent: u64, received: &[u64], told_lost: bool) -> Delivery {
        let mut d = Delivery { sent, ..Delivery::default() };
        let mut seen = vec![false; usize::try_from(sent).unwrap()];
        let mut highest: Option<u64> = None;
        for &n in received {
            match usize::try_from(n).ok().and_then(|i| seen.get_mut(i)) {
                None => d.corrupted += 1,
                Some(slot) if *slot => d.duplicated += 1,
                Some(slot) => {
                    *slot = true;
                    d.delivered += 1;
                    d.out_of_order += u64::from(highest.is_some_and(|h| n < h));
                    highest = highest.max(Some(n));
                }
            }
        }
        let prefix = highest.map_or(0, |h| h + 1);
        let gaps = prefix - d.delivered.min(prefix);
        let tail = sent - prefix;
        d.lost = gaps + if told_lost { 0 } else { tail };
        d.abandoned = if told_lost { tail } else { 0 };
        d
    }

    /// Whether nothing was lost silently, duplicated, reordered or corrupted.
    pub(crate) fn clean(&self) -> bool {
        self.lost == 0 && self.duplicated == 0 && self.out_of_order == 0 && self.corrupted == 0
    }

    /// Whether every message arrived exactly once, in order.
    pub(crate) fn complete(&self) -> bool {
        self.clean() && self.delivered == self.sent
    }
}

/// What a server session saw once it had received `n` messages or `recv` failed: the
/// client's counters in arrival order, how many `d` messages it handed over, and the error
/// that ended `recv` early, if any.
#[derive(Debug)]
pub(crate) struct ServerReport {
    pub(crate) id: String,
    pub(crate) received: Vec<u64>,
    pub(crate) sent: u64,
    pub(crate) error: Option<Error>,
}

impl ServerReport {
    /// Whether the server application was told the session was lost.
    pub(crate) fn told_lost(&self) -> bool {
        matches!(self.error, Some(Error::SessionLost(_)))
    }
}

/// A server whose every session sends `d0..d{n}` while receiving `n` `u` messages, reports
/// that to `reports`, then reads on until the session ends and reports how to `ends`.
pub(crate) struct TwoWay {
    pub(crate) handle: ServerHandle,
    pub(crate) addr: SocketAddr,
    pub(crate) reports: mpsc::UnboundedReceiver<ServerReport>,
    /// How each session's `recv` finally ended: `Ok(())` for a close on purpose.
    pub(crate) ends: mpsc::UnboundedReceiver<(String, ws_reliable::Result<()>)>,
}

/// Where a [`TwoWay`] session reports.
#[derive(Clone)]
struct Sinks {
    reports: mpsc::UnboundedSender<ServerReport>,
    ends: mpsc::UnboundedSender<(String, ws_reliable::Result<()>)>,
}

impl TwoWay {
    /// Binds on 127.0.0.1:0 with `config`; each session exchanges `n` messages each way.
    pub(crate) async fn start(config: ServerConfig, n: u64) -> TwoWay {
        Self::start_paced(config, n, None).await
    }

    /// Like [`TwoWay::start`], with `gap` between two of a session's sends (default: a
    /// millisecond every 16 messages).
    pub(crate) async fn start_paced(config: ServerConfig, n: u64, gap: Option<Duration>) -> TwoWay {
        let server = Server::builder().config(config).bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        let (reports_tx, reports) = mpsc::unbounded_channel();
        let (ends_tx, ends) = mpsc::unbounded_channel();
        let sinks = Sinks { reports: reports_tx, ends: ends_tx };
        let handle = server.start(move |session| two_way(session, n, gap, sinks.clone()));
        TwoWay { handle, addr, reports, ends }
    }

    /// Waits until the server holds no session and no connection.
    pub(crate) async fn wait_idle(&self, limit: Duration) {
        let handle = &self.handle;
        wait_until("sessions and connections back to 0", limit, || {
            handle.sessions() == 0 && handle.connections() == 0
        })
        .await;
    }
}

async fn two_way(
    session: Session,
    n: u64,
    gap: Option<Duration>,
    sinks: Sinks,
) -> ws_reliable::Result<()> {
    let ClientReport { received, sent, error } = exchange(&session, ('d', 'u'), n, gap, None).await;
    let id = session.id().to_owned();
    let _ = sinks.reports.send(ServerReport { id: id.clone(), received, sent, error });
    let end = loop {
        match session.recv().await {
            Ok(Some(_)) => {}
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    let _ = sinks.ends.send((id, end));
    Ok(())
}

/// What a client saw: the server's counters in arrival order, how many `u` messages it
/// handed over, and the error that ended it early, if any.
#[derive(Debug)]
pub(crate) struct ClientReport {
    pub(crate) received: Vec<u64>,
    pub(crate) sent: u64,
    pub(crate) error: Option<Error>,
}

impl ClientReport {
    /// Whether the client application was told the session was lost.
    pub(crate) fn told_lost(&self) -> bool {
        matches!(self.error, Some(Error::SessionLost(_)))
    }
}

/// Sends `u0..u{n}` while receiving until `n` `d` messages arrived (or an error), counting
/// arrivals in `progress`. The session stays open: the caller closes it.
pub(crate) async fn run_client(client: &Client, n: u64, progress: &AtomicUsize) -> ClientReport {
    exchange(client.session(), ('u', 'd'), n, None, Some(progress)).await
}

/// Like [`run_client`], with `gap` between two sends.
pub(crate) async fn run_client_every(
    client: &Client,
    n: u64,
    gap: Duration,
    progress: &AtomicUsize,
) -> ClientReport {
    exchange(client.session(), ('u', 'd'), n, Some(gap), Some(progress)).await
}

/// Sends `{out}0..{out}{n}` while receiving until `n` `{inn}` messages arrived (or an error),
/// counting arrivals in `progress`: the traffic of either side of a scenario session.
async fn exchange(
    session: &Session,
    (out, inn): (char, char),
    n: u64,
    gap: Option<Duration>,
    progress: Option<&AtomicUsize>,
) -> ClientReport {
    let send = async {
        let mut sent = 0;
        for i in 0..n {
            if session.send(text(out, i)).await.is_err() {
                break;
            }
            sent += 1;
            wait(i, gap).await;
        }
        sent
    };
    let recv = async {
        let mut got = Vec::new();
        while (got.len() as u64) < n {
            match session.recv().await {
                Ok(Some(m)) => got.push(parse(inn, m.text())),
                Ok(None) => return (got, None),
                Err(e) => return (got, Some(e)),
            }
            progress.inspect(|p| _ = p.fetch_add(1, Ordering::SeqCst));
        }
        (got, None)
    };
    let (sent, (received, error)) = tokio::join!(send, recv);
    ClientReport { received, sent, error }
}

/// Injects `fault` once `progress` reaches `at` (or after 10 s, so that a session that
/// ended early does not hold the caller).
pub(crate) async fn inject_at(proxy: &Proxy, fault: Fault, progress: &AtomicUsize, at: usize) {
    let start = Instant::now();
    while progress.load(Ordering::SeqCst) < at && start.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    proxy.inject(fault);
}

/// Connects a client with `config` to `addr`.
pub(crate) async fn connect(addr: SocketAddr, config: ClientConfig) -> Client {
    let url = format!("ws://{addr}/ws");
    Client::builder().config(config).connect(url).await.expect("client connects")
}

/// A client configuration that retries fast (10 ms doubling to 100 ms after the first,
/// immediate retry), with `session` settings.
pub(crate) fn fast_client(session: ws_proto::Config) -> ClientConfig {
    let backoff = reconnect::Backoff::new(Duration::from_millis(10), Duration::from_millis(100));
    let policy = reconnect::Policy::default().backoff(backoff);
    let config = ClientConfig::default().session(session);
    config.reconnect(reconnect::Config::default().policy(policy))
}

/// Every connection state a client went through, in order.
#[derive(Debug, Default)]
pub(crate) struct States(std::sync::Mutex<Vec<ConnState>>);

impl States {
    /// Starts recording `client`'s states (a watch channel may skip states that last less
    /// than a scheduling turn; the ones asserted on last longer).
    pub(crate) fn record(client: &Client) -> Arc<States> {
        let states = Arc::new(States::default());
        let (mut rx, sink) = (client.state(), Arc::clone(&states));
        tokio::spawn(async move {
            loop {
                let state = rx.borrow_and_update().clone();
                sink.0.lock().unwrap().push(state);
                if rx.changed().await.is_err() {
                    return;
                }
            }
        });
        states
    }

    /// A copy of the log.
    pub(crate) fn all(&self) -> Vec<ConnState> {
        self.0.lock().unwrap().clone()
    }

    /// Whether any recorded state satisfies `cond`.
    pub(crate) fn any(&self, cond: impl Fn(&ConnState) -> bool) -> bool {
        self.0.lock().unwrap().iter().any(cond)
    }
}
