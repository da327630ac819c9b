//! `wsr client URL`: an interactive client. Each stdin line is sent as a text message; what
//! arrives is printed on stdout and connection state changes on stderr. End of input closes
//! the session after the server has acknowledged everything.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::watch;
use ws_reliable::{Client, ConnState, Message, Payload, Session};

use crate::error::Result;

/// `wsr client` arguments.
#[derive(Clone, Debug, clap::Args)]
#[non_exhaustive]
pub struct ClientArgs {
    /// The server's WebSocket URL, e.g. `ws://127.0.0.1:9000/ws`.
    pub url: String,
    /// A bearer token (a JWT for a server started with `--jwt-secret`). Default none.
    #[arg(long)]
    pub token: Option<String>,
}

/// Runs until stdin ends or the session is lost.
pub async fn run(args: ClientArgs) -> Result<()> {
    let mut builder = Client::builder();
    if let Some(token) = args.token {
        builder = builder.token_provider(move || {
            let token = token.clone();
            async move { Some(token) }
        });
    }
    let client = builder.connect(args.url).await?;
    eprintln!("[connected: session {}]", client.session().id());
    let watcher = tokio::spawn(watch_state(client.state()));
    let printer = tokio::spawn(print_incoming(client.session().clone()));
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
        client.send(line).await?;
    }
    client.close().await?;
    let _ = tokio::time::timeout(Duration::from_secs(2), printer).await;
    watcher.abort();
    Ok(())
}

async fn watch_state(mut state: watch::Receiver<ConnState>) {
    while state.changed().await.is_ok() {
        let now = state.borrow_and_update().clone();
        eprintln!("[state: {now:?}]");
    }
}

async fn print_incoming(session: Session) {
    loop {
        match session.recv().await {
            Ok(Some(message)) => println!("{}", describe(&message)),
            Ok(None) => {
                eprintln!("[session closed]");
                return;
            }
            Err(e) => {
                eprintln!("[error: {e}]");
                if matches!(e, ws_reliable::Error::SessionLost(_)) {
                    return;
                }
            }
        }
    }
}

/// One received message as a line: the text (or a byte count), with its stream position.
fn describe(message: &Message) -> String {
    let body = match &message.payload {
        Payload::Text(text) => text.clone(),
        Payload::Binary(bytes) => format!("<{} bytes>", bytes.len()),
    };
    match &message.stream {
        Some(chunk) if chunk.last => format!("[{} #{} end] {body}", chunk.stream, chunk.index),
        Some(chunk) => format!("[{} #{}] {body}", chunk.stream, chunk.index),
        None => body,
    }
}
