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
}

impl Account {
    /// An empty account on `budget`.
    pub(crate) fn new(budget: &Arc<Budget>) -> Arc<Self> {
        Arc::new(Self {
            budget: Arc::clone(budget),
            partial: AtomicUsize::new(0),
            complete: AtomicUsize::new(0),
        })
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

/// A byte stream whose reads follow the memory budget.
pub(crate) struct Gated<I> {
    io: I,
    account: Arc<Account>,
    scan: Scan,
    /// Largest message accepted: frames announcing more are left to tungstenite to refuse.
    max_message: u64,
    /// Bytes of the current data message so far.
    message: u64,
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
        Self {
            io,
            account,
            scan: Scan::default(),
            max_message: max_message as u64,
            message: 0,
            pending: None,
            reserved: false,
            parked: None,
            stalled: false,
        }
    }

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
            let parked = self.parked.get_or_insert_with(|| budget.freed());
            if parked.as_mut().poll(cx).is_ready() {
                self.parked = None;
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

    /// Follows the frames in bytes just read.
    fn watch(&mut self, bytes: &[u8]) {
        let mut scan = std::mem::take(&mut self.scan);
        scan.feed(bytes, |seen| self.on(seen));
        self.scan = scan;
    }

    fn on(&mut self, seen: Seen) {
        match seen {
            Seen::Header { len, data: true, fin } => {
                let total = self.message.saturating_add(len);
                let large = total > SMALL && total <= self.max_message;
                if large && !self.reserved && self.pending.is_none() {
                    // One reservation per message: the exact size when this frame ends it,
                    // the largest allowed while more fragments may follow.
                    let want = if fin && self.message == 0 { len } else { self.max_message };
                    self.pending = Some(usize::try_from(want).unwrap_or(usize::MAX));
                }
                self.message = total;
            }
            Seen::End { data: true, fin: true } => self.message_done(),
            _ => {}
        }
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

impl<I: AsyncRead + Unpin> AsyncRead for Gated<I> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_room(cx));
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.io).poll_read(cx, buf))?;
        this.watch(&buf.filled()[before..]);
        Poll::Ready(Ok(()))
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
