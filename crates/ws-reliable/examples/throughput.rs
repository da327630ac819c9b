//! One session, client to server, as fast as the acks allow: a quick look at the hot path.
//!
//! `cargo run --release -p ws-reliable --example throughput -- [messages] [size]`
//! (defaults 200000 messages of 64 bytes). `wsr bench` is the real comparison with raw
//! tokio-tungstenite; this is for profiling (`perf record -e cpu-clock -g`).
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::time::Instant;

use ws_reliable::{Client, Server};

#[tokio::main]
async fn main() -> ws_reliable::Result<()> {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>().unwrap());
    let (messages, size) = (args.next().unwrap_or(200_000), args.next().unwrap_or(64));
    let server = Server::builder().bind("127.0.0.1:0").await?;
    let url = format!("ws://{}/ws", server.local_addr()?);
    let _handle = server.start(|session| async move {
        while session.recv().await?.is_some() {}
        Ok(())
    });
    let client = Client::builder().connect(url).await?;
    let payload = bytes::Bytes::from(vec![b'x'; size]);
    let start = Instant::now();
    for _ in 0..messages {
        client.send(payload.clone()).await?;
    }
    client.session().flush().await?;
    let secs = start.elapsed().as_secs_f64();
    let rate = messages as f64 / secs;
    println!(
        "{messages} x {size} B acked in {secs:.3} s: {rate:.0} msg/s, {:.1} MB/s",
        rate * size as f64 / 1e6
    );
    Ok(())
}
