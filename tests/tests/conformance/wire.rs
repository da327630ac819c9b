//! The client side of a case: a blocking socket that writes frames exactly as the case says
//! (reserved bits, opcodes, fragments, masks, chopped writes) and reads the endpoint's frames
//! with tungstenite's frame parser, so that nothing between the case and the wire repairs it.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Control, Data as OpData, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::{Frame, FrameSocket};

/// How long the client waits for the endpoint's next frame before calling it silent.
const READ_TIMEOUT: Duration = Duration::from_secs(3);

/// One connection to the endpoint under test.
pub(crate) struct Wire {
    socket: FrameSocket<TcpStream>,
    chop: Option<usize>,
    mask_seed: u32,
}

/// What the endpoint did after the client's last frame.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    /// Complete data messages: (is text, payload).
    pub(crate) messages: Vec<(bool, Vec<u8>)>,
    /// Payloads of the pongs received.
    pub(crate) pongs: Vec<Vec<u8>>,
    /// The close frame, if one came: its code (`None` for an empty close payload).
    pub(crate) close: Option<Option<u16>>,
    /// How reading ended when it did not end at a close frame.
    pub(crate) end: Option<End>,
    partial: Option<(bool, Vec<u8>)>,
}

/// How a read ended without a close frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// The TCP connection was closed or reset.
    Dropped,
    /// Nothing arrived within the read timeout.
    Silent,
    /// The endpoint sent something that is not a valid server frame.
    Garbage,
}

impl Wire {
    /// Opens a WebSocket to `ws://addr/path`, offering `subprotocol` if given.
    pub(crate) fn connect(
        addr: SocketAddr,
        path: &str,
        subprotocol: Option<&str>,
    ) -> io::Result<Wire> {
        let tcp = TcpStream::connect(addr)?;
        tcp.set_nodelay(true)?;
        tcp.set_read_timeout(Some(READ_TIMEOUT))?;
        let mut request =
            format!("ws://{addr}{path}").into_client_request().map_err(io::Error::other)?;
        if let Some(p) = subprotocol {
            request.headers_mut().insert(
                "Sec-WebSocket-Protocol",
                HeaderValue::from_str(p).map_err(io::Error::other)?,
            );
        }
        let (ws, _) = tokio_tungstenite::tungstenite::client(request, tcp)
            .map_err(|e| io::Error::other(e.to_string()))?;
        Ok(Wire { socket: FrameSocket::new(ws.into_inner()), chop: None, mask_seed: 0x9e37_79b9 })
    }

    /// From now on, writes go out in pieces of `n` bytes, each flushed on its own.
    pub(crate) fn chop(&mut self, n: usize) {
        self.chop = Some(n.max(1));
    }

    /// Sends `frame` with a fresh mask (as a client must).
    pub(crate) fn send(&mut self, mut frame: Frame) -> io::Result<()> {
        self.mask_seed = self.mask_seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        frame.header_mut().mask = Some(self.mask_seed.to_be_bytes());
        self.send_as_is(frame)
    }

    /// Sends `frame` exactly as it is, mask or none.
    pub(crate) fn send_as_is(&mut self, frame: Frame) -> io::Result<()> {
        let mut bytes = Vec::with_capacity(frame.len());
        frame.format(&mut bytes).map_err(io::Error::other)?;
        let tcp = self.socket.get_mut();
        let piece = self.chop.unwrap_or(bytes.len()).max(1);
        for chunk in bytes.chunks(piece) {
            tcp.write_all(chunk)?;
            tcp.flush()?;
        }
        Ok(())
    }

    /// Reads frames into `seen` until `done(seen)` holds, a close frame arrives, or reading ends.
    pub(crate) fn collect(&mut self, seen: &mut Seen, done: impl Fn(&Seen) -> bool) {
        while !done(seen) && seen.close.is_none() && seen.end.is_none() {
            match self.socket.read(Some(4 * super::cases::MAX_MESSAGE)) {
                Ok(Some(frame)) => seen.absorb(frame),
                Ok(None) => seen.end = Some(End::Dropped),
                Err(e) => seen.end = Some(read_error(&e)),
            }
        }
    }
}

fn read_error(e: &tokio_tungstenite::tungstenite::Error) -> End {
    use tokio_tungstenite::tungstenite::Error;
    match e {
        Error::Io(io)
            if matches!(io.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) =>
        {
            End::Silent
        }
        Error::Io(_) | Error::ConnectionClosed | Error::AlreadyClosed => End::Dropped,
        _ => End::Garbage,
    }
}

impl Seen {
    fn absorb(&mut self, frame: Frame) {
        let fin = frame.header().is_final;
        match frame.header().opcode {
            OpCode::Control(Control::Pong) => self.pongs.push(frame.payload().to_vec()),
            OpCode::Control(Control::Close) => self.close = Some(close_code(frame.payload())),
            OpCode::Control(_) => {}
            OpCode::Data(OpData::Continue) => match self.partial.as_mut() {
                Some((_, bytes)) => bytes.extend_from_slice(frame.payload()),
                None => self.end = Some(End::Garbage),
            },
            OpCode::Data(op) => self.partial = Some((op == OpData::Text, frame.payload().to_vec())),
        }
        if fin
            && matches!(frame.header().opcode, OpCode::Data(_))
            && let Some(message) = self.partial.take()
        {
            self.messages.push(message);
        }
    }
}

fn close_code(payload: &[u8]) -> Option<u16> {
    match payload {
        [a, b, ..] => Some(u16::from_be_bytes([*a, *b])),
        _ => None,
    }
}
