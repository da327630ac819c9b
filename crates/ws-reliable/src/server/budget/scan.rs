//! Follows the frame boundaries of the bytes a client sends (RFC 6455 §5.2), without
//! buffering them: the memory budget needs to see each frame header before the payload it
//! announces is read. tungstenite still parses and checks every frame itself; this only
//! watches.

/// What the scanner saw in the bytes fed to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Seen {
    /// A frame header: its payload length, whether it is a data frame (text, binary,
    /// continuation) and whether it ends its message.
    Header { len: u64, data: bool, fin: bool },
    /// The end of a frame's payload (right after its header for an empty one).
    End { data: bool, fin: bool },
}

/// The scanner's position in the stream.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    header: [u8; 14],
    have: usize,
    /// Payload bytes still to come in the current frame, once its header is complete.
    left: Option<u64>,
    data: bool,
    fin: bool,
}

impl Scan {
    /// Feeds the next bytes of the stream, calling `seen` for each header and frame end,
    /// until `seen` returns `true` (stop right after this event) or the bytes run out; the
    /// number of bytes consumed.
    pub(crate) fn feed(&mut self, bytes: &[u8], mut seen: impl FnMut(Seen) -> bool) -> usize {
        let mut at = 0;
        let mut stop = false;
        while at < bytes.len() && !stop {
            let rest = &bytes[at..];
            match self.left {
                Some(left) => {
                    let take = usize::try_from(left).unwrap_or(usize::MAX).min(rest.len());
                    at += take;
                    stop = self.advance(take as u64, &mut seen);
                }
                None => {
                    let take = (self.needed() - self.have).min(rest.len());
                    self.header[self.have..self.have + take].copy_from_slice(&rest[..take]);
                    self.have += take;
                    at += take;
                    if self.have == self.needed() {
                        stop = self.header_done(&mut seen);
                    }
                }
            }
        }
        at
    }

    /// Header bytes needed: 2 until the length byte is known, then the whole header.
    fn needed(&self) -> usize {
        if self.have < 2 {
            return 2;
        }
        let second = self.header[1];
        let extended = match second & 0x7f {
            126 => 2,
            127 => 8,
            _ => 0,
        };
        2 + extended + if second & 0x80 != 0 { 4 } else { 0 }
    }

    fn header_done(&mut self, seen: &mut impl FnMut(Seen) -> bool) -> bool {
        let (first, second) = (self.header[0], self.header[1]);
        let len = match second & 0x7f {
            126 => u64::from(u16::from_be_bytes([self.header[2], self.header[3]])),
            127 => {
                let mut be = [0; 8];
                be.copy_from_slice(&self.header[2..10]);
                u64::from_be_bytes(be)
            }
            short => u64::from(short),
        };
        self.data = (first & 0x0f) <= 2;
        self.fin = first & 0x80 != 0;
        self.have = 0;
        self.left = Some(len);
        let stop = seen(Seen::Header { len, data: self.data, fin: self.fin });
        // An empty frame ends with its header.
        self.advance(0, seen) || stop
    }

    fn advance(&mut self, n: u64, seen: &mut impl FnMut(Seen) -> bool) -> bool {
        let left = self.left.unwrap_or(0).saturating_sub(n);
        self.left = Some(left);
        if left > 0 {
            return false;
        }
        self.left = None;
        seen(Seen::End { data: self.data, fin: self.fin })
    }
}
