//! The report as a table for people.

use std::fmt::{Result, Write as _};

use crate::chaos::check::DirectionStats;
use crate::chaos::report::{ClientReport, Report};

impl Report {
    /// The report as a table for people: settings, one row per client, totals, verdict.
    pub fn human(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = self
            .write_header(&mut out)
            .and_then(|()| self.write_clients(&mut out))
            .and_then(|()| self.write_totals(&mut out))
            .and_then(|()| self.write_verdict(&mut out));
        out
    }

    fn write_header(&self, out: &mut String) -> Result {
        let s = &self.settings;
        writeln!(
            out,
            "wsr chaos: {} clients, {} messages each way per client, a stream of {} chunks \
             each; faults [{}] every {} ms for {:.1} s; seed {}",
            s.clients,
            s.messages,
            s.chunks,
            s.faults,
            s.fault_interval_ms,
            s.duration_ms as f64 / 1000.0,
            s.seed
        )?;
        let kinds: Vec<String> =
            self.faults.iter().map(|(k, n)| format!("{} {n}", k.name())).collect();
        let injected = self.totals.faults_injected;
        writeln!(out, "faults injected: {injected} ({})\n", kinds.join(", "))
    }

    fn write_clients(&self, out: &mut String) -> Result {
        let head = ["client", "up sent/deliv/bad", "down sent/deliv/bad", "stream"];
        writeln!(
            out,
            "{:>6}  {:>19}  {:>19}  {:>10}  {:>6} {:>7}  session",
            head[0], head[1], head[2], head[3], "recon", "resumes"
        )?;
        for c in &self.clients {
            writeln!(
                out,
                "{:>6}  {:>19}  {:>19}  {:>10}  {:>6} {:>7}  {}",
                c.client,
                cell(&c.up),
                cell(&c.down),
                format!("{:?}", c.stream).to_lowercase(),
                c.reconnects,
                c.resumes,
                session(c)
            )?;
        }
        writeln!(out)
    }

    fn write_totals(&self, out: &mut String) -> Result {
        let t = &self.totals;
        let head = ["sent", "delivered", "lost", "dup", "reorder", "corrupt", "abandoned"];
        writeln!(out, "{:<15} {}", "direction", row(head.map(str::to_owned)))?;
        writeln!(out, "{:<15} {}", "client->server", direction(&t.client_to_server))?;
        writeln!(out, "{:<15} {}", "server->client", direction(&t.server_to_client))?;
        writeln!(
            out,
            "streams: {} requested, {} complete, {} corrupted, {} incomplete; {} faults hit a \
             stream in flight",
            t.streams,
            t.streams_complete,
            t.corrupted_streams,
            t.incomplete_streams,
            t.faults_mid_stream
        )?;
        writeln!(
            out,
            "reconnects {}, resumes {}, sessions lost {} (silently {})",
            t.reconnects, t.resumes, t.sessions_lost, t.sessions_lost_silently
        )?;
        self.write_resources(out)
    }

    fn write_resources(&self, out: &mut String) -> Result {
        let r = &self.recovery_ms;
        writeln!(
            out,
            "recovery, fault to next delivery on its client: p50 {} ms, p99 {} ms, max {} ms \
             ({} faults)",
            r.p50, r.p99, r.max, r.measured
        )?;
        for (error, n) in &self.server_errors {
            writeln!(out, "server handler error x{n}: {error}")?;
        }
        let memory = self
            .peak_memory_kb
            .map_or("n/a".to_owned(), |kb| format!("{:.1} MiB", kb as f64 / 1024.0));
        let elapsed = self.elapsed_ms as f64 / 1000.0;
        writeln!(out, "peak memory (VmHWM, whole process): {memory}; elapsed {elapsed:.1} s")
    }

    fn write_verdict(&self, out: &mut String) -> Result {
        let t = &self.totals;
        writeln!(
            out,
            "\nresult: {} (lost {}, duplicated {}, out of order {}, corrupted {}, silent \
             session losses {})",
            if self.passed { "PASS" } else { "FAIL" },
            t.lost,
            t.duplicated,
            t.out_of_order,
            t.corrupted,
            t.sessions_lost_silently
        )
    }
}

fn row(cells: [String; 7]) -> String {
    let widths = [8, 10, 6, 6, 8, 8, 10];
    let padded: Vec<String> = cells.iter().zip(widths).map(|(c, w)| format!("{c:>w$}")).collect();
    padded.join(" ")
}

fn direction(d: &DirectionStats) -> String {
    let cells =
        [d.sent, d.delivered, d.lost, d.duplicated, d.out_of_order, d.corrupted, d.abandoned];
    row(cells.map(|n| n.to_string()))
}

fn cell(d: &DirectionStats) -> String {
    let bad = d.lost + d.duplicated + d.out_of_order + d.corrupted;
    format!("{}/{}/{}", d.sent, d.delivered, bad)
}

fn session(c: &ClientReport) -> String {
    match &c.lost {
        None => "ok".to_owned(),
        Some(reason) if c.told => format!("lost, told: {reason}"),
        Some(reason) => format!("LOST SILENTLY: {reason}"),
    }
}
