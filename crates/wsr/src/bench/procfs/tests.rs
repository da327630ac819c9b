//! Tests of the `/proc` parsers.

use super::*;

#[test]
fn rss_is_read_from_the_vmrss_line() {
    let status = "Name:\twsr\nVmPeak:\t  99999 kB\nVmRSS:\t    3828 kB\nRssAnon:\t 1 kB\n";
    assert_eq!(parse_rss_kb(status), Some(3828));
    assert_eq!(parse_rss_kb("Name:\twsr\n"), None);
    assert_eq!(parse_rss_kb("VmRSS:\t12 MB\n"), None, "only kB is understood");
    assert_eq!(parse_rss_kb("VmRSS:\tlots kB\n"), None);
}

#[test]
fn cpu_is_utime_plus_stime_after_the_command_name() {
    let stat = "4242 (wsr) S 1 4242 4242 0 -1 4194304 500 0 0 0 37 5 0 0 20 0 4 0 100 0 0";
    assert_eq!(parse_cpu_ticks(stat), Some(42));
    let tricky = "4242 (a b) c)) S 1 4242 4242 0 -1 4194304 500 0 0 0 7 3 0 0 20 0 4 0";
    assert_eq!(parse_cpu_ticks(tricky), Some(10), "spaces and parens in the name");
    assert_eq!(parse_cpu_ticks("4242 (wsr) S 1 2"), None, "truncated");
    assert_eq!(parse_cpu_ticks("no parens at all"), None);
}

#[test]
fn this_process_can_be_read() {
    let usage = read_self().unwrap();
    assert!(usage.rss_kb > 0);
}

#[test]
fn deltas_between_readings() {
    let before = Usage { rss_kb: 1000, cpu_ticks: 10 };
    let after = Usage { rss_kb: 1500, cpu_ticks: 60 };
    assert_eq!(after.cpu_secs_since(&before), 0.5);
    assert_eq!(after.rss_bytes_since(&before), 512_000.0);
    assert_eq!(before.rss_bytes_since(&after), -512_000.0);
    assert_eq!(before.cpu_secs_since(&after), 0.0, "never negative");
}
