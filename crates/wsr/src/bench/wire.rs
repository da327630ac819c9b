//! The benchmark's own text commands, the same over raw WebSockets and reliable sessions.
//!
//! - `FIN`: (raw only) answer `ACK <count>` with the binary messages received since the last
//!   `FIN`;
//! - `ECHO`: from now on, send every binary message back;
//! - `GO <msgs> <size> <send|feed>`: send `msgs` binary messages of `size` bytes, then `END`
//!   (raw: one flush per message or one at the end; reliable: `END` after `flush()`);
//! - `TICK`: (reliable only) send an 8-byte big-endian sequence number every millisecond.

/// One parsed command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// `FIN`.
    Fin,
    /// `ECHO`.
    Echo,
    /// `GO <msgs> <size> <send|feed>`.
    Go {
        /// How many messages.
        msgs: u64,
        /// Payload bytes each.
        size: usize,
        /// Batch writes (`feed`) instead of one flush per message (`send`).
        feed: bool,
    },
    /// `TICK`.
    Tick,
}

impl Command {
    /// Parses a text message; `None` for anything else.
    pub fn parse(text: &str) -> Option<Command> {
        let words: Vec<&str> = text.split(' ').collect();
        match words.as_slice() {
            ["FIN"] => Some(Command::Fin),
            ["ECHO"] => Some(Command::Echo),
            ["TICK"] => Some(Command::Tick),
            ["GO", msgs, size, mode @ ("send" | "feed")] => Some(Command::Go {
                msgs: msgs.parse().ok()?,
                size: size.parse().ok()?,
                feed: *mode == "feed",
            }),
            _ => None,
        }
    }

    /// The command as sent.
    pub fn to_text(self) -> String {
        match self {
            Command::Fin => "FIN".to_owned(),
            Command::Echo => "ECHO".to_owned(),
            Command::Tick => "TICK".to_owned(),
            Command::Go { msgs, size, feed } => {
                format!("GO {msgs} {size} {}", if feed { "feed" } else { "send" })
            }
        }
    }
}

/// A payload of `size` bytes that starts with `stamp` (big-endian) when it has room.
pub fn stamped(size: usize, stamp: u64) -> bytes::Bytes {
    let mut payload = vec![0xA5; size];
    let n = size.min(8);
    payload[..n].copy_from_slice(&stamp.to_be_bytes()[..n]);
    payload.into()
}

/// The stamp at the start of a payload, if it has 8 bytes.
pub fn stamp_of(payload: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(payload.get(..8)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(text: &str, expected: Option<Command>) {
        assert_eq!(Command::parse(text), expected, "{text:?}");
        if let Some(command) = expected {
            assert_eq!(Command::parse(&command.to_text()), expected, "round trip");
        }
    }

    #[test]
    fn parses_commands() {
        check("FIN", Some(Command::Fin));
        check("ECHO", Some(Command::Echo));
        check("TICK", Some(Command::Tick));
        check("GO 10 64 send", Some(Command::Go { msgs: 10, size: 64, feed: false }));
        check("GO 3 1024 feed", Some(Command::Go { msgs: 3, size: 1024, feed: true }));
        check("GO 3 1024 later", None);
        check("GO x 1024 feed", None);
        check("GO 3", None);
        check("fin", None);
        check("", None);
    }

    #[test]
    fn stamps_round_trip() {
        assert_eq!(stamp_of(&stamped(64, 123_456_789)), Some(123_456_789));
        assert_eq!(stamped(64, 1).len(), 64);
        assert_eq!(stamp_of(&stamped(4, 1)), None, "too short for a stamp");
    }
}
