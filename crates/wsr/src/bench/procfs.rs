//! Resident memory and CPU time of this process, from `/proc/self`.
//!
//! CPU is user + system time in clock ticks (`/proc/self/stat` fields 14 and 15, all threads,
//! dead ones included); RSS is `VmRSS` from `/proc/self/status`. Linux only.

use serde::Serialize;

/// Clock ticks per second of the CPU times in `/proc/<pid>/stat` (`getconf CLK_TCK`; 100
/// on every mainstream Linux build).
pub const TICKS_PER_SEC: f64 = 100.0;

/// One reading of a process's resources.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    /// Resident set size, KiB.
    pub rss_kb: u64,
    /// User + system CPU time, clock ticks.
    pub cpu_ticks: u64,
}

impl Usage {
    /// CPU seconds from `earlier` to `self`.
    pub fn cpu_secs_since(&self, earlier: &Usage) -> f64 {
        self.cpu_ticks.saturating_sub(earlier.cpu_ticks) as f64 / TICKS_PER_SEC
    }

    /// RSS growth from `earlier` to `self`, bytes (negative when it shrank).
    pub fn rss_bytes_since(&self, earlier: &Usage) -> f64 {
        (self.rss_kb as f64 - earlier.rss_kb as f64) * 1024.0
    }
}

/// Reads this process's usage now.
pub fn read_self() -> std::io::Result<Usage> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    let bad = |what: &str| std::io::Error::other(format!("cannot parse {what}"));
    let rss_kb = parse_rss_kb(&status).ok_or_else(|| bad("VmRSS in /proc/self/status"))?;
    let cpu_ticks = parse_cpu_ticks(&stat).ok_or_else(|| bad("/proc/self/stat"))?;
    Ok(Usage { rss_kb, cpu_ticks })
}

/// `VmRSS` in KiB from the text of `/proc/<pid>/status`.
pub fn parse_rss_kb(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let mut words = line["VmRSS:".len()..].split_whitespace();
    let value = words.next()?.parse().ok()?;
    (words.next() == Some("kB")).then_some(value)
}

/// utime + stime (ticks) from the text of `/proc/<pid>/stat`. The command name (field 2)
/// may hold spaces and parentheses, so fields are counted after its last `)`.
pub fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    // After the name: field 3 (state) is index 0, so utime (14) is 11 and stime (15) 12.
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// The 1-, 5- and 15-minute load averages, as `/proc/loadavg` gives them.
pub fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests;
