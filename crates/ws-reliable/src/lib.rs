//! Reliable WebSocket sessions over tokio-tungstenite.
//!
//! Application code sees *sessions*, never connections. A session outlives the connections
//! under it: when one drops, the client reconnects with backoff and resumes, each side
//! retransmits exactly what the other has not received, and the application notices nothing
//! but a delay.
//!
//! The guarantee: within a session, every message is delivered to the peer's application
//! exactly once and in order, across any number of disconnects, or the application is told
//! explicitly that the session was lost ([`Error::SessionLost`] with a reason: expired,
//! buffer overflow, unauthorized, protocol violation). Nothing is dropped silently.
//!
//! ```no_run
//! use ws_reliable::{Client, Server};
//!
//! # async fn demo() -> ws_reliable::Result<()> {
//! let server = Server::builder().bind("127.0.0.1:0").await?;
//! let url = format!("ws://{}/ws", server.local_addr()?);
//! let _handle = server.start(|session| async move {
//!     while let Some(message) = session.recv().await? {
//!         session.send(message.payload).await?; // echo, replayed after reconnects
//!     }
//!     Ok(())
//! });
//! let client = Client::builder().connect(url).await?;
//! client.send("hello").await?;
//! let echo = client.recv().await?;
//! assert_eq!(echo.and_then(|m| m.text().map(str::to_owned)).as_deref(), Some("hello"));
//! # Ok(())
//! # }
//! ```

pub mod auth;
mod client;
mod close;
mod codec;
mod common;
mod conn;
mod error;
mod server;
mod session;
mod shared;
pub mod store;
mod sync;
#[cfg(feature = "tls")]
pub mod tls;

pub use client::{Client, ClientBuilder, ClientConfig, ConnState, TokenProvider};
pub use codec::Codec;
pub use error::{Error, Result};
pub use server::{
    Io, MetricsRender, ReliableService, Server, ServerBuilder, ServerConfig, ServerHandle,
    StaticAsset, StaticRoute,
};
pub use session::{Message, Session, SessionInfo, StreamChunk, StreamWriter};
pub use sync::SharedState;
pub use ws_proto::{self as proto, LostReason, Payload, Seq};
