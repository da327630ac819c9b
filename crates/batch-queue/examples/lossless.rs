//! Pushes 100 000 messages through a `Flusher` into a sink that fails about 20% of its calls
//! (seeded) and counts what the far side received: nothing may be lost, nothing duplicated.
//!
//! `cargo run --release -p batch-queue --example lossless [messages] [fail_percent] [seed]`
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used)]

use std::future::{Ready, ready};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use batch_queue::{Bound, Config, DeadLetter, Flusher, Seq, SharedQueue};
use parking_lot::Mutex;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use tokio::sync::watch;

/// The sink's far side: the "application" that must see every message once.
struct App {
    rng: SmallRng,
    fail_percent: u32,
    calls: u64,
    injected_failures: u64,
    delivered: Vec<u32>,
}

impl App {
    fn receive(&mut self, batch: Vec<(Seq, Vec<u8>)>) -> Ready<Result<(), &'static str>> {
        self.calls += 1;
        if self.rng.random_range(0..100) < self.fail_percent {
            self.injected_failures += 1;
            return ready(Err("injected failure"));
        }
        for (seq, payload) in batch {
            assert_eq!(payload, seq.to_le_bytes(), "payload of seq {seq} corrupted");
            self.delivered[seq as usize] += 1;
        }
        ready(Ok(()))
    }
}

async fn push_all(queue: &SharedQueue<Vec<u8>>, n: u64, dead: &mut Vec<DeadLetter<Vec<u8>>>) {
    for seq in 1..=n {
        let mut message = seq.to_le_bytes().to_vec();
        loop {
            match queue.push(message).await {
                Ok(pushed) => break assert_eq!(pushed, seq),
                Err(full) if matches!(full.bound, Bound::DeadLetters { .. }) => {
                    dead.extend(queue.drain_dead_letters());
                    message = full.message;
                }
                Err(full) => panic!("unexpected rejection: {full}"),
            }
        }
    }
}

/// What the run produced, for the report.
struct Outcome {
    stats: batch_queue::Stats,
    report: batch_queue::FlusherReport,
    dead: Vec<DeadLetter<Vec<u8>>>,
    elapsed: std::time::Duration,
}

fn print_config(n: u64, fail_percent: u32, seed: u64, config: &Config) {
    println!(
        "batch-queue lossless: {n} messages, sink fails {fail_percent}% of calls, seed {seed}"
    );
    let (batch, backoff) = (&config.batch, &config.backoff);
    println!(
        "config: {} messages / {} bytes held; batches of {} / {} bytes / {:?} linger; \
         backoff {:?} x{} cap {:?}; dead letter after {} failures",
        config.max_messages,
        config.max_bytes,
        batch.max_count,
        batch.max_bytes,
        batch.linger,
        backoff.initial,
        backoff.multiplier,
        backoff.max,
        config.max_attempts
    );
}

async fn run(n: u64, config: Config, app: Arc<Mutex<App>>) -> Outcome {
    let started = Instant::now();
    let queue = SharedQueue::new(config).unwrap();
    let sink = move |batch| app.lock().receive(batch);
    let (stop, stopped) = watch::channel(false);
    let flusher = Flusher::new(queue.clone(), sink).ack_on_success();
    let flusher = tokio::spawn(flusher.run(stopped));
    let mut dead = Vec::new();
    push_all(&queue, n, &mut dead).await;
    queue.flush().await;
    dead.extend(queue.drain_dead_letters());
    stop.send(true).unwrap();
    let report = flusher.await.unwrap();
    let elapsed = started.elapsed();
    let stats = queue.stats();
    Outcome { stats, report, dead, elapsed }
}

fn print_counts(outcome: &Outcome, app: &App) {
    let Outcome { stats, report, dead, elapsed } = outcome;
    println!("pushed              {}", stats.pushed);
    println!("sink calls          {}", app.calls);
    println!("sent attempts       {} (messages handed to the sink)", report.messages);
    println!("injected failures   {}", app.injected_failures);
    println!("retries             {} (retransmitted messages)", stats.retries);
    println!("acked               {}", stats.acked);
    println!("dead letters        {}", dead.len());
    println!("still queued        {}", stats.depth);
    let rate = stats.pushed as f64 / elapsed.as_secs_f64();
    println!("elapsed             {elapsed:.2?}  ({rate:.0} messages/s)");
}

fn judge(n: u64, outcome: &Outcome, app: &App) -> ExitCode {
    print_counts(outcome, app);
    let Outcome { stats, dead, .. } = outcome;
    let queued = stats.depth as u64;
    let lost = stats.pushed as i64 - stats.acked as i64 - dead.len() as i64 - queued as i64;
    let undelivered = (1..=n as usize).filter(|&s| app.delivered[s] == 0).count();
    let duplicates: u64 = app.delivered.iter().map(|&c| u64::from(c.saturating_sub(1))).sum();
    let dead_delivered = dead.iter().filter(|d| app.delivered[d.seq as usize] > 0).count();
    println!("lost                {lost}   (pushed - acked - dead letters - queued)");
    println!("duplicates          {duplicates}   (seqs delivered successfully more than once)");
    println!("undelivered         {undelivered}   (must equal dead letters)");
    let consistent = undelivered == dead.len() && dead_delivered == 0 && queued == 0;
    if lost != 0 || duplicates != 0 || !consistent {
        eprintln!("FAILED: lost {lost}, duplicates {duplicates}, consistent {consistent}");
        return ExitCode::FAILURE;
    }
    println!("OK: every message acked exactly once or dead-lettered with a reason");
    ExitCode::SUCCESS
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<u64> = std::env::args().skip(1).map(|a| a.parse().unwrap()).collect();
    let n = args.first().copied().unwrap_or(100_000);
    let fail_percent = args.get(1).copied().unwrap_or(20) as u32;
    let seed = args.get(2).copied().unwrap_or(42);
    let config = Config::default().seed(seed);
    print_config(n, fail_percent, seed, &config);
    let app = Arc::new(Mutex::new(App {
        rng: SmallRng::seed_from_u64(seed),
        fail_percent,
        calls: 0,
        injected_failures: 0,
        delivered: vec![0; n as usize + 1],
    }));
    let outcome = run(n, config, Arc::clone(&app)).await;
    judge(n, &outcome, &app.lock())
}
