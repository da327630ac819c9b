//! The report as plain-text tables.

use std::fmt::Write;

use super::super::stats::Summary;
use super::{CaseReport, Report};

/// Renders the whole report.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "wsr bench, {} ({:.0} s)", report.date, report.secs);
    let _ = writeln!(out, "command: {}", report.command);
    let _ = writeln!(out, "load average before: {}; after: {}", report.load[0], report.load[1]);
    let _ = writeln!(out, "median [min..max] over reps; ratios are pair by pair (rep i / rep i)");
    for case in &report.cases {
        render_case(&mut out, case);
    }
    let _ = writeln!(out, "\ntargets");
    for target in &report.targets {
        let verdict = match target.pass {
            Some(true) => "PASS",
            Some(false) => "FAIL",
            None => "n/a ",
        };
        let value = target.value.map_or("not run".to_owned(), |v| format!("{v:.3}"));
        let _ =
            writeln!(out, "  {verdict}  {:<58} {:>10}  (goal {})", target.name, value, target.goal);
    }
    for error in &report.errors {
        let _ = writeln!(out, "error: {error}");
    }
    out
}

fn render_case(out: &mut String, case: &CaseReport) {
    let _ = writeln!(out, "\n== {} ==", case.name);
    let ratio_names: Vec<String> =
        case.metrics.first().map(|m| m.ratios.keys().cloned().collect()).unwrap_or_default();
    let _ = write!(out, "{:<22}", "metric");
    case.variants.iter().for_each(|v| {
        let _ = write!(out, " {v:>26}");
    });
    ratio_names.iter().for_each(|r| {
        let _ = write!(out, " {r:>26}");
    });
    let _ = writeln!(out);
    for metric in &case.metrics {
        let _ = write!(out, "{:<22}", metric.metric);
        for variant in &case.variants {
            let _ = write!(out, " {:>26}", cell(metric.variants.get(variant).copied().flatten()));
        }
        for ratio in &ratio_names {
            let _ = write!(out, " {:>26}", cell(metric.ratios.get(ratio).copied().flatten()));
        }
        let _ = writeln!(out);
    }
}

/// `median [min..max]`, compact.
pub fn cell(summary: Option<Summary>) -> String {
    match summary {
        None => "-".to_owned(),
        Some(s) => format!("{} [{}..{}]", num(s.median), num(s.min), num(s.max)),
    }
}

/// A number in 3-4 significant digits with a k/M suffix.
pub fn num(x: f64) -> String {
    let a = x.abs();
    match a {
        _ if a >= 1e6 => format!("{:.2}M", x / 1e6),
        _ if a >= 1e4 => format!("{:.0}k", x / 1e3),
        _ if a >= 1e3 => format!("{:.1}k", x / 1e3),
        _ if a >= 10.0 => format!("{x:.1}"),
        _ if a >= 0.1 || a == 0.0 => format!("{x:.2}"),
        _ => format!("{x:.3}"),
    }
}
