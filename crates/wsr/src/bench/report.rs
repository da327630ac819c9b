//! The summary: per case and metric, each variant's median `[min..max]` and the pair-by-pair
//! ratio of `reliable` over every other variant; then the targets, pass or fail.

pub mod human;
pub mod targets;

use std::collections::BTreeMap;

use serde::Serialize;

use super::cases::{Case, Results, Workload};
use super::stats::{Summary, pairwise_ratios};
pub use targets::Target;

/// Everything `wsr bench` prints.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// When the run started (UTC, RFC 3339).
    pub date: String,
    /// The command line.
    pub command: String,
    /// `/proc/loadavg` (1, 5, 15 min) before and after the run.
    pub load: [String; 2],
    /// Wall-clock seconds of the whole run.
    pub secs: f64,
    /// One entry per case.
    pub cases: Vec<CaseReport>,
    /// The targets of the issue, evaluated on this run.
    pub targets: Vec<Target>,
    /// Runs that failed.
    pub errors: Vec<String>,
}

/// One case's summary.
#[derive(Clone, Debug, Serialize)]
pub struct CaseReport {
    /// The case name.
    pub name: String,
    /// Variant labels, in run order.
    pub variants: Vec<&'static str>,
    /// One entry per metric.
    pub metrics: Vec<MetricReport>,
}

/// One metric of one case.
#[derive(Clone, Debug, Serialize)]
pub struct MetricReport {
    /// The metric name (unit in its suffix).
    pub metric: &'static str,
    /// Per variant: median `[min..max]` over the reps.
    pub variants: BTreeMap<&'static str, Option<Summary>>,
    /// `reliable/<other>`: the pair-by-pair ratios' median `[min..max]`.
    pub ratios: BTreeMap<String, Option<Summary>>,
    /// Per variant, the value of each rep (`null` where the run failed).
    pub values: BTreeMap<&'static str, Vec<Option<f64>>>,
}

impl CaseReport {
    /// The metric named `metric`.
    pub fn metric(&self, metric: &str) -> Option<&MetricReport> {
        self.metrics.iter().find(|m| m.metric == metric)
    }
}

/// The metrics a workload reports, in print order.
pub fn metrics_of(workload: &Workload) -> &'static [&'static str] {
    match workload {
        Workload::Throughput(_) => {
            &["msgs_per_s", "mb_per_s", "cpu_us_per_msg", "client_cpu_s", "server_cpu_s"]
        }
        Workload::Echo { .. } => &["p50_us", "p99_us", "p999_us", "missing"],
        Workload::Idle { .. } => {
            &["server_bytes_per_conn", "client_bytes_per_conn", "server_cpu_pct_idle", "connect_s"]
        }
        Workload::Recovery { .. } => &["p50_ms", "p99_ms", "max_ms", "lost", "repeated"],
    }
}

/// Summarises every case.
pub fn summarise(cases: &[Case], results: &Results) -> Vec<CaseReport> {
    cases.iter().zip(results).map(|(case, samples)| summarise_case(case, samples)).collect()
}

fn summarise_case(case: &Case, samples: &[Vec<Option<super::cases::Sample>>]) -> CaseReport {
    let labels: Vec<&'static str> = case.variants.iter().map(|v| v.label()).collect();
    let metrics = metrics_of(&case.workload)
        .iter()
        .map(|&metric| {
            let values: BTreeMap<&'static str, Vec<Option<f64>>> = labels
                .iter()
                .zip(samples)
                .map(|(&label, reps)| {
                    (label, reps.iter().map(|s| s.as_ref()?.get(metric).copied()).collect())
                })
                .collect();
            summarise_metric(metric, values)
        })
        .collect();
    CaseReport { name: case.name.clone(), variants: labels, metrics }
}

/// Medians per variant and the pair-by-pair ratios of `reliable` over the others.
pub fn summarise_metric(
    metric: &'static str,
    values: BTreeMap<&'static str, Vec<Option<f64>>>,
) -> MetricReport {
    let flat = |reps: &[Option<f64>]| reps.iter().flatten().copied().collect::<Vec<f64>>();
    let variants = values.iter().map(|(&label, reps)| (label, Summary::of(&flat(reps)))).collect();
    let mut ratios = BTreeMap::new();
    if let Some(reliable) = values.get("reliable") {
        for (label, reps) in values.iter().filter(|(label, _)| **label != "reliable") {
            let pairs = pairwise_ratios(reliable, reps);
            ratios.insert(format!("reliable/{label}"), Summary::of(&pairs));
        }
    }
    MetricReport { metric, variants, ratios, values }
}

impl Report {
    /// The report as text tables.
    pub fn human(&self) -> String {
        human::render(self)
    }
}

#[cfg(test)]
mod tests;
