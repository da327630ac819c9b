//! A fault-injecting TCP proxy for tests and chaos runs, on loopback only.
//!
//! The pattern (toxiproxy's): sit between a client and a server, forward bytes both ways, and
//! on command break the connection the way real networks do. Per connection it can reset
//! (RST), close cleanly (FIN), stall one or both directions (the half-open connection that
//! only a heartbeat catches), and cut after a number of bytes (mid-frame). New connections
//! start clean, so a client that reconnects gets through.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! use fault_proxy::{Fault, Proxy};
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! let upstream = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let proxy = Proxy::start(upstream.local_addr()?).await?;
//! let mut client = tokio::net::TcpStream::connect(proxy.addr()).await?;
//! let (mut server, _) = upstream.accept().await?;
//! client.write_all(b"ping").await?;
//! let mut buf = [0u8; 4];
//! server.read_exact(&mut buf).await?;
//! assert_eq!(&buf, b"ping");
//! proxy.inject(Fault::Reset);
//! assert!(matches!(server.read(&mut buf).await, Ok(0) | Err(_)), "the connection is gone");
//! # Ok(())
//! # }
//! ```

mod proxy;

pub use proxy::{Direction, Fault, Proxy};
