//! Tests of the summaries, the targets and the JSON shape.

use std::collections::BTreeMap;

use super::*;

fn metric(values: &[(&'static str, Vec<Option<f64>>)]) -> MetricReport {
    summarise_metric("msgs_per_s", values.iter().cloned().collect::<BTreeMap<_, _>>())
}

#[test]
fn ratios_are_reliable_over_each_other_variant_pair_by_pair() {
    let m = metric(&[
        ("raw-send", vec![Some(100.0), Some(50.0), Some(100.0)]),
        ("raw-feed", vec![Some(1000.0), None, Some(1000.0)]),
        ("reliable", vec![Some(80.0), Some(45.0), Some(90.0)]),
    ]);
    let vs_send = m.ratios["reliable/raw-send"].unwrap();
    assert_eq!((vs_send.median, vs_send.n), (0.9, 3), "median of 0.8, 0.9, 0.9");
    let vs_feed = m.ratios["reliable/raw-feed"].unwrap();
    assert_eq!(vs_feed.n, 2, "the failed rep is skipped");
    assert_eq!(m.variants["raw-send"].unwrap().median, 100.0);
    assert!(!m.ratios.contains_key("reliable/reliable"));
}

#[test]
fn no_reliable_side_means_no_ratios() {
    let m = metric(&[("raw-send", vec![Some(1.0)])]);
    assert!(m.ratios.is_empty());
}

fn case(name: &str, metric_report: MetricReport) -> CaseReport {
    CaseReport {
        name: name.to_owned(),
        variants: metric_report.variants.keys().copied().collect(),
        metrics: vec![metric_report],
    }
}

#[test]
fn targets_pass_fail_or_not_run() {
    let good = metric(&[("raw-send", vec![Some(100.0)]), ("reliable", vec![Some(85.0)])]);
    let bad = metric(&[("raw-send", vec![Some(100.0)]), ("reliable", vec![Some(50.0)])]);
    let cases = vec![case("c2s 1 conn 1 KiB", good), case("c2s 1 conn 64 B", bad)];
    let targets = targets::evaluate(&cases);
    let find = |prefix: &str| targets.iter().find(|t| t.name.starts_with(prefix)).unwrap();
    assert_eq!(find("c2s 1 conn 1 KiB msgs/s, reliable/raw-send").pass, Some(true));
    assert_eq!(find("c2s 1 conn 64 B msgs/s, reliable/raw-send").pass, Some(false));
    assert_eq!(find("recovery").pass, None);
    assert_eq!(find("recovery").value, None);
}

#[test]
fn json_has_medians_and_ratios_per_case() {
    let m = metric(&[("raw-send", vec![Some(100.0)]), ("reliable", vec![Some(80.0)])]);
    let report = Report {
        date: "2026-01-01T00:00:00Z".to_owned(),
        command: "wsr bench --quick".to_owned(),
        load: ["0.1 0.2 0.3".to_owned(), "0.1 0.2 0.3".to_owned()],
        secs: 1.0,
        cases: vec![case("c2s 1 conn 64 B", m)],
        targets: Vec::new(),
        errors: Vec::new(),
    };
    let json = serde_json::to_value(&report).unwrap();
    let metric = &json["cases"][0]["metrics"][0];
    assert_eq!(json["cases"][0]["name"], "c2s 1 conn 64 B");
    assert_eq!(metric["metric"], "msgs_per_s");
    assert_eq!(metric["variants"]["raw-send"]["median"], 100.0);
    assert_eq!(metric["variants"]["reliable"]["median"], 80.0);
    assert_eq!(metric["ratios"]["reliable/raw-send"]["median"], 0.8);
    assert_eq!(metric["values"]["reliable"][0], 80.0);
    assert!(report.human().contains("0.80 [0.80..0.80]"), "{}", report.human());
}

#[test]
fn numbers_are_compact() {
    assert_eq!(human::num(756_339.0), "756k");
    assert_eq!(human::num(3_227_550.0), "3.23M");
    assert_eq!(human::num(1234.0), "1.2k");
    assert_eq!(human::num(13.24), "13.2");
    assert_eq!(human::num(0.8), "0.80");
    assert_eq!(human::num(0.0123), "0.012");
}
