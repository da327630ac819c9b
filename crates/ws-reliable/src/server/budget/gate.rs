//! The read side of the budget: a byte stream wrapper that reserves a large message's size
//! before letting its payload be read, and stops reading while the reservation does not fit.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::Budget;
use super::scan::{Scan, Seen};

/// While a reader waits for room, its session is told the peer is alive this often: the peer's
/// pongs wait unread behind the paused message, and this side chose to stop reading, so the
/// heartbeat must not take the pause for a silent peer. 5 s, well inside the 35 s of the
/// default heartbeat interval plus timeout.
const KEEP_ALIVE: std::time::Duration = std::time::Duration::from_secs(5);

/// Messages up to this size are not reserved: they fit in a few reads of the read buffer
/// and count in the fixed overhead of a connection. 16 KiB.
pub(crate) const SMALL: u64 = 16 << 10;

/// One connection's reservations, shared by its reader ([`Gated`]) and its driver (which
/// releases a message's reservation once the message is handed to the session). Whatever it
/// still holds is released when both are gone.
#[derive(Debug)]
pub(crate) struct Account {
    budget: Arc<Budget>,
    /// Reserved for the message being read.
    partial: AtomicUsize,
    /// Reserved for messages read in full and not yet handed over.
    complete: AtomicUsize,
    /// The session the connection carries, kept alive while the reader waits for room.
    session: std::sync::OnceLock<std::sync::Weak<crate::shared::Shared>>,
}

impl Account {
    /// An empty account on `budget`.
    pub(crate) fn new(budget: &Arc<Budget>) -> Arc<Self> {
        Arc::new(Self {
            budget: Arc::clone(budget),
            partial: AtomicUsize::new(0),
            complete: AtomicUsize::new(0),
            session: std::sync::OnceLock::new(),
        })
    }

    /// The connection now carries `session`.
    pub(crate) fn carries(&self, session: &Arc<crate::shared::Shared>) {
        let _ = self.session.set(Arc::downgrade(session));
    }

    /// The reader is waiting for room: the peer counts as alive.
    fn keep_alive(&self) {
        if let Some(session) = self.session.get().and_then(std::sync::Weak::upgrade) {
            session.with(|m| m.on_activity(crate::shared::now()));
        }
    }

    /// A data message of `len` bytes left the reader for the session: its reservation (if it
    /// had one) goes back; the session charges what it keeps of it.
    pub(crate) fn delivered(&self, len: usize) {
        let taken = self.complete.fetch_update(Ordering::AcqRel, Ordering::Acquire, |held| {
            Some(held.saturating_sub(len))
        });
        let before = taken.unwrap_or(0);
        self.budget.release(before.min(len));
    }
}

impl Drop for Account {
    fn drop(&mut self) {
        let held = *self.partial.get_mut() + *self.complete.get_mut();
        self.budget.release(held);
    }
}

/// Bytes read from the socket at once (tungstenite asks for its read buffer size, 4 KiB).
const STAGE: usize = 4 << 10;

/// A byte stream whose reads follow the memory budget.
///
/// Reads go through a small staging buffer so that a large frame's header and the end of its
/// payload are each the last bytes of a read: the reservation is decided before any of the
/// payload is handed on, and tungstenite's read buffer holds nothing past the large message
/// when it completes. Measured (`tests/tests/rss.rs`), this is also what makes tungstenite's
/// read buffer let go of a large message's allocation once it is handed over: without the
/// wrapper, 200 idle connections kept 257 MB after one ~1 MiB message each, with it 26 MB.
pub(crate) struct Gated<I> {
    io: I,
    stage: Box<[u8]>,
    start: usize,
    end: usize,
    /// Staged bytes already scanned but held back: the last byte of a large frame's header,
    /// until its reservation is granted (tungstenite sizes its buffer for the payload as soon
    /// as it has a whole header).
    withheld: usize,
    scan: Scan,
    reader: Reader,
}

/// The reservation side of [`Gated`].
struct Reader {
    account: Arc<Account>,
    /// Largest message accepted: frames announcing more are left to tungstenite to refuse.
    max_message: u64,
    /// Bytes of the current data message so far.
    message: u64,
    /// The current frame is past [`SMALL`].
    large_frame: bool,
    /// The reservation the next read waits for.
    pending: Option<usize>,
    /// Whether the current message holds its reservation.
    reserved: bool,
    parked: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
    /// This reservation already counted as a paused read.
    stalled: bool,
}

impl<I> Gated<I> {
    /// Wraps `io`, charging `account`.
    pub(crate) fn new(io: I, account: Arc<Account>, max_message: usize) -> Self {
        let reader = Reader {
            account,
            max_message: max_message as u64,
            message: 0,
            large_frame: false,
            pending: None,
            reserved: false,
            parked: None,
            stalled: false,
        };
        let stage = vec![0; STAGE].into();
        Self { io, stage, start: 0, end: 0, withheld: 0, scan: Scan::default(), reader }
    }
}

impl Reader {
    /// Ready once the pending reservation (if any) is granted. A reservation is tried again
    /// after the wake-up is armed, so a release in between is not missed.
    fn poll_room(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(want) = self.pending else { return Poll::Ready(()) };
        loop {
            if self.account.budget.try_reserve(want) {
                self.granted(want);
                return Poll::Ready(());
            }
            let fresh = self.parked.is_none();
            let budget = &self.account.budget;
            let parked = self.parked.get_or_insert_with(|| budget.freed(KEEP_ALIVE));
            if parked.as_mut().poll(cx).is_ready() {
                // Room was released, or the keep-alive interval passed.
                self.parked = None;
                self.account.keep_alive();
                continue;
            }
            if fresh && self.account.budget.try_reserve(want) {
                self.granted(want);
                return Poll::Ready(());
            }
            if !self.stalled {
                self.stalled = true;
                self.account.budget.paused();
            }
            return Poll::Pending;
        }
    }

    fn granted(&mut self, want: usize) {
        self.parked = None;
        self.pending = None;
        self.stalled = false;
        self.reserved = true;
        self.account.partial.fetch_add(want, Ordering::AcqRel);
    }

    /// Follows one frame event; `true` ends the read here (after a large frame's header or
    /// payload).
    fn on(&mut self, seen: Seen) -> bool {
        match seen {
            Seen::Header { len, data, fin } => {
                self.large_frame = len > SMALL;
                if data {
                    self.data_header(len, fin);
                }
                self.large_frame || self.pending.is_some()
            }
            Seen::End { data, fin } => {
                if data && fin {
                    self.message_done();
                }
                std::mem::take(&mut self.large_frame)
            }
        }
    }

    fn data_header(&mut self, len: u64, fin: bool) {
        let total = self.message.saturating_add(len);
        let large = total > SMALL && total <= self.max_message;
        if large && !self.reserved && self.pending.is_none() {
            // One reservation per message: the exact size when this frame ends it, the
            // largest allowed while more fragments may follow.
            let want = if fin && self.message == 0 { len } else { self.max_message };
            self.pending = Some(usize::try_from(want).unwrap_or(usize::MAX));
        }
        self.message = total;
    }

    /// The last fragment is read: the reservation, trimmed to the message's size, waits for
    /// the driver to hand the message over.
    fn message_done(&mut self) {
        self.pending = None;
        let size = usize::try_from(self.message).unwrap_or(usize::MAX);
        let held = self.account.partial.swap(0, Ordering::AcqRel);
        let keep = held.min(size);
        self.account.complete.fetch_add(keep, Ordering::AcqRel);
        self.account.budget.release(held - keep);
        self.message = 0;
        self.reserved = false;
    }
}

impl<I: AsyncRead + Unpin> Gated<I> {
    /// Hands over staged bytes up to the next boundary; `false` when nothing could be handed
    /// over yet (a header waits for its reservation).
    fn hand_over(&mut self, buf: &mut ReadBuf<'_>) -> bool {
        let room = buf.remaining().min(self.end - self.start);
        let bytes = &self.stage[self.start..self.start + room];
        if self.withheld > 0 {
            let n = self.withheld.min(room);
            buf.put_slice(&bytes[..n]);
            (self.start, self.withheld) = (self.start + n, self.withheld - n);
            return true;
        }
        let reader = &mut self.reader;
        let taken = self.scan.feed(bytes, |seen| reader.on(seen));
        // A pending reservation was set by the header that ends exactly at `taken`.
        let hold = usize::from(self.reader.pending.is_some());
        buf.put_slice(&bytes[..taken - hold]);
        (self.start, self.withheld) = (self.start + taken - hold, hold);
        taken > hold
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for Gated<I> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            ready!(this.reader.poll_room(cx));
            if this.start == this.end {
                let mut staged = ReadBuf::new(&mut this.stage);
                ready!(Pin::new(&mut this.io).poll_read(cx, &mut staged))?;
                (this.start, this.end) = (0, staged.filled().len());
                if this.end == 0 {
                    return Poll::Ready(Ok(()));
                }
            }
            if buf.remaining() == 0 || this.hand_over(buf) {
                return Poll::Ready(Ok(()));
            }
        }
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Gated<I> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}
