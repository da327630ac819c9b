//! Parts of the read side: letting go of a large message's memory, answering a close.
//!
//! tungstenite reads a message into its read buffer and hands it over as a slice of that
//! buffer's allocation; the buffer then keeps using the same allocation for what follows, and
//! `bytes` reclaims an allocation whole as soon as nothing else shares it. A connection would
//! so keep the largest message it ever received (1 MiB and more) for as long as it lives.

use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::{Error, Message};

use futures_util::StreamExt;

use super::{End, GOODBYE_TIMEOUT};

/// Messages past this size (16 KiB) are kept across the next poll (see [`next_after`]).
const LARGE: usize = 16 << 10;

/// The length of a data message; a large one is kept in `previous` for [`next_after`].
pub(super) fn keep_if_large(message: &Message, previous: &mut Option<Message>) -> usize {
    let len = match message {
        Message::Text(text) => text.len(),
        Message::Binary(bytes) => bytes.len(),
        _ => 0,
    };
    *previous = (len > LARGE).then(|| message.clone());
    len
}

/// The next message; `previous` (the last large message, if any) is dropped only after the
/// first poll. Kept alive while tungstenite makes room for the next header, the large
/// allocation is still shared, so tungstenite takes a small new one (the server's reads end
/// exactly at a large frame's end, `server/budget/gate.rs`, so nothing is left in the old
/// one), and the large one is freed with the message.
pub(super) async fn next_after<S>(
    stream: &mut futures_util::stream::SplitStream<WebSocketStream<S>>,
    previous: Option<Message>,
) -> Option<Result<Message, Error>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut previous = previous;
    std::future::poll_fn(|cx| {
        let polled = stream.poll_next_unpin(cx);
        previous = None;
        polled
    })
    .await
}

/// Answers the peer's close frame (RFC 6455 §5.5.1): tungstenite queued the reply, and writes
/// it out on the next read, which then reports the end of the stream. Nothing may follow it,
/// so the goodbye's frames are refused by tungstenite after this.
pub(super) async fn answer_close<S, T>(
    stream: &mut futures_util::stream::SplitStream<WebSocketStream<S>>,
    code: Option<u16>,
) -> End<T>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let _ = tokio::time::timeout(GOODBYE_TIMEOUT, stream.next()).await;
    End::PeerClosed(code)
}
