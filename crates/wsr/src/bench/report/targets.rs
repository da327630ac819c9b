//! The targets, evaluated on one run's summaries.

use serde::Serialize;

use super::CaseReport;

/// One target and whether this run met it.
#[derive(Clone, Debug, Serialize)]
pub struct Target {
    /// What is measured.
    pub name: String,
    /// The goal, e.g. `>= 0.8`.
    pub goal: String,
    /// The measured value (a median), if the case ran.
    pub value: Option<f64>,
    /// Met, missed, or not measured in this run (`None`).
    pub pass: Option<bool>,
}

/// The ratio targets: name, case, metric, the raw variant, the goal, and whether the ratio
/// must be at least (`true`) or at most the goal.
const RATIOS: &[(&str, &str, &str, &str, f64, bool)] = &[
    (
        "c2s 1 conn 1 KiB msgs/s, reliable/raw-send",
        "c2s 1 conn 1 KiB",
        "msgs_per_s",
        "raw-send",
        0.8,
        true,
    ),
    (
        "c2s 1 conn 64 B msgs/s, reliable/raw-send",
        "c2s 1 conn 64 B",
        "msgs_per_s",
        "raw-send",
        0.7,
        true,
    ),
    (
        "c2s 1 conn 1 KiB msgs/s, reliable/raw-feed",
        "c2s 1 conn 1 KiB",
        "msgs_per_s",
        "raw-feed",
        0.8,
        true,
    ),
    (
        "c2s 1 conn 64 B msgs/s, reliable/raw-feed",
        "c2s 1 conn 64 B",
        "msgs_per_s",
        "raw-feed",
        0.7,
        true,
    ),
    (
        "idle 1000: server bytes/session, reliable/raw-4k",
        "idle 1000 conns",
        "server_bytes_per_conn",
        "raw-4k",
        2.0,
        false,
    ),
    (
        "idle 1000: server bytes/session, reliable/raw-128k",
        "idle 1000 conns",
        "server_bytes_per_conn",
        "raw-128k",
        2.0,
        false,
    ),
];

/// Evaluates every target that the cases allow.
pub fn evaluate(cases: &[CaseReport]) -> Vec<Target> {
    let find = |case: &str, metric: &str| cases.iter().find(|c| c.name == case)?.metric(metric);
    let mut targets: Vec<Target> = RATIOS
        .iter()
        .map(|&(name, case, metric, other, goal, floor)| {
            let ratio = find(case, metric).and_then(|m| {
                m.ratios.get(&format!("reliable/{other}"))?.as_ref().map(|s| s.median)
            });
            if floor { at_least(name, ratio, goal) } else { at_most(name, ratio, goal) }
        })
        .collect();
    let reliable = |case: &str, metric: &str| {
        find(case, metric).and_then(|m| m.variants.get("reliable")?.as_ref().map(|s| s.median))
    };
    let recovery = reliable("recovery (reset)", "p99_ms");
    targets.push(at_most("recovery p99 (ms), reset -> first resumed message", recovery, 10.0));
    let idle_cpu = reliable("idle 10000 conns", "server_cpu_pct_idle");
    targets.push(at_most("idle 10000 sessions: server CPU, % of one core", idle_cpu, 10.0));
    targets
}

fn at_least(name: &str, value: Option<f64>, goal: f64) -> Target {
    Target {
        name: name.to_owned(),
        goal: format!(">= {goal}"),
        value,
        pass: value.map(|v| v >= goal),
    }
}

fn at_most(name: &str, value: Option<f64>, goal: f64) -> Target {
    Target {
        name: name.to_owned(),
        goal: format!("<= {goal}"),
        value,
        pass: value.map(|v| v <= goal),
    }
}
