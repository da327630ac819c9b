//! The server child process of the memory tests (`tests/tests/rss.rs`, `budget.rs`) and of the
//! 1,000-connection run (`memory-server load`, below): a ws-reliable server on
//! 127.0.0.1:0 whose handler takes each message and answers with its payload length. It
//! prints its address on the first line of stdout and exits when stdin closes.
//!
//! `memory-server [BUDGET_BYTES] [--echo]`: without a budget the memory budget is the machine's
//! default. Same allocator as the `wsr` binary (mimalloc), so its resident memory is what a
//! deployment would see.
//!
//! `memory-server load CLIENTS [BUDGET_BYTES] [--stalled] [--echo]` is the large run of issue 14 (not a test: it
//! needs a quiet machine and `ulimit -n` above twice CLIENTS): it starts itself as the server
//! child, sends one near-limit message from each of CLIENTS connections at once, and prints
//! the child's RSS (baseline, peak, after the sessions ended) and the budget's figures.

mod load;
mod stalled;

/// Errors of this program.
type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

use std::io::{BufRead, Write};

use ws_reliable::{Server, ServerConfig, Session};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    if std::env::args().nth(1).as_deref() == Some("load") {
        return load::run().await;
    }
    let mut config = ServerConfig::default();
    let echo = std::env::args().any(|a| a == "--echo");
    if let Some(budget) = std::env::args().skip(1).find(|a| a != "--echo") {
        config = config.memory_budget(budget.parse()?);
    }
    let server = Server::builder().config(config).bind("127.0.0.1:0").await?;
    let addr = server.local_addr()?;
    let handle = server.start(move |session| answer(session, echo));
    let mut out = std::io::stdout().lock();
    writeln!(out, "{addr}")?;
    out.flush()?;
    drop(out);
    // The parent ends the child by closing its stdin (also when the parent dies).
    tokio::task::spawn_blocking(|| std::io::stdin().lock().lines().count()).await?;
    handle.shutdown();
    Ok(())
}

/// Takes every message and answers with its payload length, or with the message itself
/// (`--echo`, what `wsr serve` does).
async fn answer(session: Session, echo: bool) -> ws_reliable::Result<()> {
    while let Some(message) = session.recv().await? {
        let len = message.payload.len().to_string();
        if echo {
            session.send(message.payload).await?;
        } else {
            session.send(len).await?;
        }
    }
    Ok(())
}
