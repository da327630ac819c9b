//! Streams "LLM tokens" from a server to a client, both in this process on 127.0.0.1 (an
//! ephemeral port). The server answers a prompt with one stream chunk per token and finishes
//! the stream with a SHA-256 digest of every chunk; the client prints the tokens as they
//! arrive, and once the library has verified the final chunk's digest, prints it.
//!
//! A disconnect in the middle would not show: the client reconnects, resumes the session and
//! gets exactly the missing tokens (`tests/tests/streams.rs` cuts the connection on purpose).
//!
//! Run with `cargo run -p ws-reliable --example token_stream`.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::io::Write;
use std::time::Duration;

use sha2::{Digest, Sha256};
use ws_reliable::{Client, Error, LostReason, Server, Session};

const ANSWER: &str = "A reliable session outlives its connections: every token arrives \
                      exactly once and in order, or the stream ends in an explicit error.";

#[tokio::main]
async fn main() -> ws_reliable::Result<()> {
    let server = Server::builder().bind("127.0.0.1:0").await?;
    let url = format!("ws://{}/ws", server.local_addr()?);
    let _server = server.start(answer);
    let client = Client::builder().connect(url).await?;
    let prompt = "Why reliable sessions?";
    println!("> {prompt}");
    client.send(prompt).await?;
    let digest = print_stream(&client).await?;
    println!("\n[stream complete, digest verified: sha256 {digest}]");
    client.close().await
}

/// The server's handler: answers each prompt with a stream, one token at a time.
async fn answer(session: Session) -> ws_reliable::Result<()> {
    while let Some(prompt) = session.recv().await? {
        let mut stream = session.open_stream(format!("answer-{}", prompt.seq));
        for token in ANSWER.split_inclusive(' ') {
            stream.write(token).await?;
            // The pace of a model generating tokens.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        stream.finish("").await?;
    }
    Ok(())
}

/// Prints the chunks of one stream as they arrive; returns the digest of what arrived, which
/// the library has checked against the sender's when it hands over the last chunk.
async fn print_stream(client: &Client) -> ws_reliable::Result<String> {
    let mut hasher = Sha256::new();
    while let Some(message) = client.recv().await? {
        let text = message.text().unwrap_or_default();
        print!("{text}");
        std::io::stdout().flush()?;
        hasher.update(text.as_bytes());
        if message.stream.is_some_and(|chunk| chunk.last) {
            return Ok(hex::encode(hasher.finalize()));
        }
    }
    Err(Error::SessionLost(LostReason::Closed))
}
