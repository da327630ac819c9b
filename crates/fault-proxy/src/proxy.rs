//! A toxiproxy-style proxy: forward bytes both ways, inject faults on command.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// Which way bytes flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Client to server.
    Up,
    /// Server to client.
    Down,
    /// Both.
    Both,
}

/// A fault applied to every connection open now (and, for `CutAfter`, to new ones too).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// No fault: forward everything.
    None,
    /// Stop forwarding in a direction; sockets stay open (a half-open connection).
    Stall(Direction),
    /// Reset both sockets (RST).
    Reset,
    /// Close both sockets cleanly (FIN).
    Close,
    /// Cut the connection after this many more bytes in either direction (mid-frame).
    CutAfter(u64),
}

/// A running proxy.
#[derive(Clone)]
pub struct Proxy {
    addr: SocketAddr,
    fault: Arc<watch::Sender<(u64, Fault)>>,
    accepted: Arc<AtomicU64>,
    upstream: Arc<Mutex<SocketAddr>>,
}

impl Proxy {
    /// Starts a proxy on 127.0.0.1 (ephemeral port) in front of `upstream`.
    pub async fn start(upstream: SocketAddr) -> std::io::Result<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let proxy = Proxy {
            addr: listener.local_addr()?,
            fault: Arc::new(watch::Sender::new((0, Fault::None))),
            accepted: Arc::new(AtomicU64::new(0)),
            upstream: Arc::new(Mutex::new(upstream)),
        };
        tokio::spawn(accept_loop(listener, proxy.clone()));
        Ok(proxy)
    }

    /// The address clients connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::Relaxed)
    }

    /// Points new connections at another upstream (a restarted server).
    pub fn set_upstream(&self, upstream: SocketAddr) {
        *self.upstream.lock() = upstream;
    }

    /// Applies `fault` to the open connections (a new epoch: `Reset` and `Close` hit only
    /// the connections open now; new connections start clean).
    pub fn inject(&self, fault: Fault) {
        self.fault.send_modify(|(epoch, f)| {
            *epoch += 1;
            *f = fault;
        });
    }
}

async fn accept_loop(listener: TcpListener, proxy: Proxy) {
    while let Ok((client, _)) = listener.accept().await {
        proxy.accepted.fetch_add(1, Ordering::Relaxed);
        let upstream = *proxy.upstream.lock();
        let faults = proxy.fault.subscribe();
        tokio::spawn(async move {
            if let Ok(server) = TcpStream::connect(upstream).await {
                pipe(client, server, faults).await;
            }
        });
    }
}

async fn pipe(client: TcpStream, server: TcpStream, mut faults: watch::Receiver<(u64, Fault)>) {
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let start_epoch = faults.borrow_and_update().0;
    let budget = Arc::new(AtomicU64::new(u64::MAX));
    let (cr, cw) = client.into_split();
    let (sr, sw) = server.into_split();
    let up = forward(cr, sw, Direction::Up, faults.clone(), Arc::clone(&budget), start_epoch);
    let down = forward(sr, cw, Direction::Down, faults, budget, start_epoch);
    let (up_end, down_end) = tokio::join!(up, down);
    if up_end == Some(Fault::Reset) || down_end == Some(Fault::Reset) {
        tracing::debug!("proxy reset a connection");
    }
}

/// What the current fault means for one direction.
enum Step {
    /// Forward the next chunk.
    Forward,
    /// Wait for the fault to change, then look again.
    Hold,
    /// End the connection with this fault.
    End(Fault),
}

/// Copies one direction until EOF or a fault ends it; returns the fault.
async fn forward(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    dir: Direction,
    mut faults: watch::Receiver<(u64, Fault)>,
    budget: Arc<AtomicU64>,
    start_epoch: u64,
) -> Option<Fault> {
    let mut buf = vec![0u8; 16 << 10];
    loop {
        match step(&mut faults, dir, &budget, start_epoch) {
            Step::End(fault) => return end(from, to, fault).await,
            Step::Hold => {
                faults.changed().await.ok()?;
                continue;
            }
            Step::Forward => {}
        }
        let n = tokio::select! {
            read = from.read(&mut buf) => read.ok().filter(|&n| n > 0)?,
            changed = faults.changed() => { changed.ok()?; continue; }
        };
        let allowed = take_budget(&budget, n as u64) as usize;
        to.write_all(&buf[..allowed]).await.ok()?;
        if allowed < n {
            return end(from, to, Fault::Reset).await;
        }
    }
}

fn step(
    faults: &mut watch::Receiver<(u64, Fault)>,
    dir: Direction,
    budget: &AtomicU64,
    start: u64,
) -> Step {
    let (epoch, fault) = *faults.borrow_and_update();
    match if epoch == start { Fault::None } else { fault } {
        fault @ (Fault::Reset | Fault::Close) => Step::End(fault),
        Fault::Stall(d) if d == dir || d == Direction::Both => Step::Hold,
        Fault::CutAfter(n) => {
            let _ = budget.compare_exchange(u64::MAX, n, Ordering::SeqCst, Ordering::SeqCst);
            Step::Forward
        }
        _ => Step::Forward,
    }
}

/// Takes up to `n` bytes from the cut budget; returns how many may pass.
fn take_budget(budget: &AtomicU64, n: u64) -> u64 {
    let mut current = budget.load(Ordering::SeqCst);
    loop {
        let allowed = current.min(n);
        let next = if current == u64::MAX { u64::MAX } else { current - allowed };
        match budget.compare_exchange(current, next, Ordering::SeqCst, Ordering::SeqCst) {
            Ok(_) => return if current == u64::MAX { n } else { allowed },
            Err(actual) => current = actual,
        }
    }
}

async fn end(from: OwnedReadHalf, mut to: OwnedWriteHalf, fault: Fault) -> Option<Fault> {
    if fault == Fault::Reset {
        // Zero linger turns the close of each socket into an RST once all its halves drop.
        let _ = from.as_ref().set_zero_linger();
        let _ = to.as_ref().set_zero_linger();
    } else {
        let _ = to.shutdown().await;
    }
    Some(fault)
}
