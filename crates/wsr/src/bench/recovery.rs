//! Recovery: a reliable session through a fault proxy while the server streams a sequence
//! number every millisecond; the proxy resets the connection (RST both ways) `drops` times,
//! and each time the client's clock runs from the reset to the first message that arrives
//! over the new connection (the client reconnects with its default policy and resumes).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use fault_proxy::{Fault, Proxy};
use ws_reliable::{Client, Payload};

use super::cases::Sample;
use super::reliable;
use super::stats::percentile;
use super::wire::{Command, stamp_of};
use crate::error::{Error, Result};

/// Longest wait for any one message.
const RECV_LIMIT: Duration = Duration::from_secs(10);

/// Counts gaps and repeats in a sequence that should go 0, 1, 2, ...
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeqCheck {
    next: u64,
    /// Numbers skipped (lost messages).
    pub lost: u64,
    /// Numbers seen again or out of order.
    pub repeated: u64,
}

impl SeqCheck {
    /// Records one received sequence number.
    pub fn see(&mut self, seq: u64) {
        if seq < self.next {
            self.repeated += 1;
            return;
        }
        self.lost += seq - self.next;
        self.next = seq + 1;
    }
}

/// Runs `drops` resets against the reliable server at `server`, `per_session` of them on each
/// new client session (the client's retry budget allows about 5 quick reconnects per 10 s,
/// so more on one session measure the budget's wait, not the resume).
pub async fn run(server: SocketAddr, drops: u32, per_session: u32) -> Result<Sample> {
    let proxy = Proxy::start(server).await?;
    let mut check = SeqCheck::default();
    let mut times_ms = Vec::new();
    while times_ms.len() < drops as usize {
        let client = reliable::connect(proxy.addr()).await?;
        client.send(Command::Tick.to_text()).await?;
        check.next = 0;
        let left = drops - times_ms.len() as u32;
        for i in 0..per_session.min(left) {
            times_ms.push(drop_once(&proxy, &client, &mut check, i).await?);
        }
    }
    let p = |q| percentile(&times_ms, q).unwrap_or(f64::NAN);
    Ok(Sample::from([
        ("p50_ms", p(50.0)),
        ("p99_ms", p(99.0)),
        ("max_ms", p(100.0)),
        ("lost", check.lost as f64),
        ("repeated", check.repeated as f64),
    ]))
}

/// Receives for a while, resets, and times the first message over the new connection (ms).
async fn drop_once(proxy: &Proxy, client: &Client, check: &mut SeqCheck, i: u32) -> Result<f64> {
    // Vary the phase of the reset against the 1 ms stream.
    let quiet = Duration::from_micros(30_000 + u64::from(i) * 1_370 % 20_000);
    receive_for(client, check, quiet).await?;
    let before = proxy.accepted();
    let reset = Instant::now();
    proxy.inject(Fault::Reset);
    while proxy.accepted() == before {
        receive_one(client, check).await?;
    }
    Ok(reset.elapsed().as_secs_f64() * 1e3)
}

async fn receive_for(client: &Client, check: &mut SeqCheck, span: Duration) -> Result<()> {
    let until = Instant::now() + span;
    while Instant::now() < until {
        receive_one(client, check).await?;
    }
    Ok(())
}

async fn receive_one(client: &Client, check: &mut SeqCheck) -> Result<()> {
    let next = tokio::time::timeout(RECV_LIMIT, client.recv()).await;
    let message = next.map_err(|_| Error::Invalid("no message for 10 s".to_owned()))??;
    let message = message.ok_or_else(|| Error::Invalid("session closed".to_owned()))?;
    if let Payload::Binary(payload) = &message.payload {
        check.see(stamp_of(payload).unwrap_or_default());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::SeqCheck;

    #[track_caller]
    fn check(seqs: &[u64], lost: u64, repeated: u64) {
        let mut c = SeqCheck::default();
        seqs.iter().for_each(|&s| c.see(s));
        assert_eq!((c.lost, c.repeated), (lost, repeated), "{seqs:?}");
    }

    #[test]
    fn counts_gaps_and_repeats() {
        check(&[0, 1, 2, 3], 0, 0);
        check(&[0, 2, 3], 1, 0);
        check(&[1], 1, 0);
        check(&[0, 1, 1, 2], 0, 1);
        check(&[0, 5, 3, 6], 4, 1);
    }
}
