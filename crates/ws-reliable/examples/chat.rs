//! A tiny chat: the server broadcasts every message to every session it holds (a map of
//! sessions behind a mutex); two clients in this process, alice and bob, join and talk.
//! Each line printed is one client receiving one broadcast.
//!
//! Sessions, not connections, are what the server keeps: a client that reconnects resumes
//! its session, and the broadcasts it missed are replayed to it.
//!
//! Run with `cargo run -p ws-reliable --example chat`.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ws_reliable::{Client, Server, Session};

/// Every live session of the chat, by session id.
type Room = Arc<Mutex<HashMap<String, Session>>>;

#[tokio::main]
async fn main() -> ws_reliable::Result<()> {
    let server = Server::builder().bind("127.0.0.1:0").await?;
    let url = format!("ws://{}/ws", server.local_addr()?);
    let room = Room::default();
    let _server = server.start(move |session| member(session, Arc::clone(&room)));
    let alice = join("alice", &url).await?;
    let bob = join("bob", &url).await?;
    hear(&alice).await?; // alice hears bob join
    let everyone = [&alice, &bob];
    say(&alice, "hi bob!", &everyone).await?;
    say(&bob, "hi alice, the server relays for both of us", &everyone).await?;
    say(&alice, "and nothing gets lost if we reconnect", &everyone).await?;
    for (_, client) in [alice, bob] {
        client.close().await?;
    }
    Ok(())
}

/// The server's handler for one session: joins the room, broadcasts what it receives, and
/// leaves the room when the session ends.
async fn member(session: Session, room: Room) -> ws_reliable::Result<()> {
    room.lock().unwrap().insert(session.id().to_owned(), session.clone());
    let outcome = relay(&session, &room).await;
    room.lock().unwrap().remove(session.id());
    outcome
}

async fn relay(session: &Session, room: &Room) -> ws_reliable::Result<()> {
    while let Some(message) = session.recv().await? {
        // Never hold the lock across an await: copy the members out first.
        let members: Vec<Session> = room.lock().unwrap().values().cloned().collect();
        for member in members {
            // A member whose session was lost just misses the message; it left the room.
            let _ = member.send(message.payload.clone()).await;
        }
    }
    Ok(())
}

/// Connects a client and announces it; returns once its own announcement came back, so the
/// server holds its session before anyone else speaks.
async fn join(name: &'static str, url: &str) -> ws_reliable::Result<(&'static str, Client)> {
    let client = Client::builder().connect(url).await?;
    client.send(format!("{name} joined")).await?;
    let member = (name, client);
    hear(&member).await?;
    Ok(member)
}

/// `from` says `text`; every member (the speaker too) receives it.
async fn say(
    from: &(&str, Client),
    text: &str,
    all: &[&(&str, Client)],
) -> ws_reliable::Result<()> {
    from.1.send(format!("{}: {text}", from.0)).await?;
    for member in all {
        hear(member).await?;
    }
    Ok(())
}

/// Receives the next broadcast and prints it as `member` sees it.
async fn hear((name, client): &(&str, Client)) -> ws_reliable::Result<()> {
    if let Some(message) = client.recv().await? {
        println!("[{name:>5}] {}", message.text().unwrap_or("<binary>"));
    }
    Ok(())
}
