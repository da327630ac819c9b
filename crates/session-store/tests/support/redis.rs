//! A real `redis-server` for tests: started on a free loopback port, without persistence
//! (or with an append-only file, for restart cases), killed on drop. No mock stands in for it.

#![allow(unreachable_pub, clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a starting server may take to answer `PING`.
const START_TIMEOUT: Duration = Duration::from_secs(10);

pub struct RedisServer {
    child: Child,
    port: u16,
}

impl RedisServer {
    /// A server without persistence.
    pub fn start() -> Self {
        Self::start_with(&["--save", "", "--appendonly", "no"], None)
    }

    /// A server that keeps an append-only file in `dir` (fsync always), for restarts.
    pub fn start_persistent(dir: &std::path::Path) -> Self {
        let dir = dir.to_string_lossy().into_owned();
        let args = ["--save", "", "--appendonly", "yes", "--appendfsync", "always"];
        Self::start_with(&args, Some(PathBuf::from(dir)))
    }

    fn start_with(args: &[&str], dir: Option<PathBuf>) -> Self {
        // A port the kernel just handed out and released: free unless another process takes
        // it in between, which the PING wait below would reveal.
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut command = Command::new("redis-server");
        command.args(["--port", &port.to_string(), "--bind", "127.0.0.1"]).args(args);
        if let Some(dir) = dir {
            command.arg("--dir").arg(dir);
        }
        let child = command.stdout(Stdio::null()).stderr(Stdio::null()).spawn();
        let child = child.expect("redis-server on PATH (.ci/run installs it)");
        let server = Self { child, port };
        server.wait_for_ping();
        server
    }

    /// Polls until the server answers `PING`: an external process has no readiness signal
    /// to await but its socket.
    fn wait_for_ping(&self) {
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if self.ping() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("redis-server on port {} did not answer PING", self.port);
    }

    fn ping(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else { return false };
        let mut reply = [0u8; 7];
        stream.write_all(b"PING\r\n").is_ok()
            && stream.read_exact(&mut reply).is_ok()
            && &reply == b"+PONG\r\n"
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the server at once (SIGKILL) and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}
