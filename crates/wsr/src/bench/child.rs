//! The server as a separate OS process: `wsr bench` starts `wsr bench --serve KIND` on its
//! own executable, reads `PORT <port>` from the child's stdout, and asks for `STATS` (RSS
//! and CPU ticks) over its stdin. Closing stdin stops the child.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use super::procfs::{self, Usage};
use super::{raw_server, rel_server};
use crate::error::{Error, Result};

/// Which server the child runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ServerKind {
    /// Plain tokio-tungstenite, its default config (128 KiB read buffer).
    Raw,
    /// Plain tokio-tungstenite with `read_buffer_size` 4 KiB.
    Raw4k,
    /// A `ws_reliable::Server` with its default config.
    Reliable,
}

/// A running server child.
pub struct ServerChild {
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl ServerChild {
    /// Starts a server of `kind` and waits for its port.
    pub async fn spawn(kind: ServerKind) -> Result<ServerChild> {
        let kind_arg = clap::ValueEnum::to_possible_value(&kind)
            .map(|v| v.get_name().to_owned())
            .unwrap_or_default();
        let mut child = Command::new(std::env::current_exe()?)
            .args(["bench", "--serve", &kind_arg])
            .env("RUST_LOG", "error")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let missing = || Error::Invalid("the server child has no stdio".to_owned());
        let stdin = child.stdin.take().ok_or_else(missing)?;
        let mut lines = BufReader::new(child.stdout.take().ok_or_else(missing)?).lines();
        let line = read_line(&mut lines).await?;
        let port = line.strip_prefix("PORT ").and_then(|p| p.parse::<u16>().ok());
        let port = port.ok_or_else(|| Error::Invalid(format!("server child said {line:?}")))?;
        Ok(ServerChild { child, stdin, lines, addr: SocketAddr::from(([127, 0, 0, 1], port)) })
    }

    /// The child's RSS and CPU time now.
    pub async fn usage(&mut self) -> Result<Usage> {
        self.stdin.write_all(b"STATS\n").await?;
        self.stdin.flush().await?;
        let line = read_line(&mut self.lines).await?;
        parse_stats(&line).ok_or_else(|| Error::Invalid(format!("server child said {line:?}")))
    }

    /// Closes its stdin and waits for it to exit (killing it after 5 s).
    pub async fn stop(self) {
        let ServerChild { mut child, stdin, .. } = self;
        drop(stdin);
        if tokio::time::timeout(Duration::from_secs(5), child.wait()).await.is_err() {
            let _ = child.kill().await;
        }
    }
}

/// The child's side: serve, print the port, answer `STATS` until stdin closes.
pub async fn serve(kind: ServerKind) -> Result<()> {
    let (addr, _keep) = match kind {
        ServerKind::Raw => (raw_server::start(None).await?, None),
        ServerKind::Raw4k => (raw_server::start(Some(4 << 10)).await?, None),
        ServerKind::Reliable => {
            let (handle, addr) = rel_server::start().await?;
            (addr, Some(handle))
        }
    };
    println!("PORT {}", addr.port());
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
        if line.trim() == "STATS" {
            let usage = procfs::read_self()?;
            println!("{}", stats_line(&usage));
        }
    }
    Ok(())
}

fn stats_line(usage: &Usage) -> String {
    format!("STATS {} {}", usage.rss_kb, usage.cpu_ticks)
}

fn parse_stats(line: &str) -> Option<Usage> {
    let mut words = line.strip_prefix("STATS ")?.split(' ');
    let rss_kb = words.next()?.parse().ok()?;
    let cpu_ticks = words.next()?.parse().ok()?;
    Some(Usage { rss_kb, cpu_ticks })
}

async fn read_line(lines: &mut Lines<BufReader<ChildStdout>>) -> Result<String> {
    let next = tokio::time::timeout(Duration::from_secs(20), lines.next_line()).await;
    let gone = || Error::Invalid("the server child stopped answering".to_owned());
    next.map_err(|_| gone())??.ok_or_else(gone)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_lines_round_trip() {
        let usage = Usage { rss_kb: 3828, cpu_ticks: 42 };
        assert_eq!(parse_stats(&stats_line(&usage)), Some(usage));
        assert_eq!(parse_stats("STATS 1"), None);
        assert_eq!(parse_stats("PORT 9000"), None);
    }
}
