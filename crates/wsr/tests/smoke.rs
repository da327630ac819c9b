//! The chaos driver in-process with tiny parameters: faults happen, nothing is lost.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use wsr::chaos::{ChaosConfig, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiny_chaos_run_loses_nothing() {
    let mut config = ChaosConfig::default();
    config.clients = 2;
    config.messages = 50;
    config.chunks = 10;
    config.duration = Duration::from_secs(2);
    config.drain = Duration::from_secs(6);
    config.fault_interval_ms = 100;
    config.json = true;
    let report = tokio::time::timeout(Duration::from_secs(10), run(config))
        .await
        .expect("the run ends within 10 s")
        .unwrap();
    let totals = &report.totals;
    assert!(totals.faults_injected >= 5, "faults injected: {report:#?}");
    assert_eq!(totals.lost, 0, "{}", report.human());
    assert_eq!(totals.duplicated, 0, "{}", report.human());
    assert_eq!(totals.out_of_order, 0, "{}", report.human());
    assert_eq!(totals.corrupted, 0, "{}", report.human());
    assert_eq!(totals.sent, 200, "50 each way for each of 2 clients");
    assert_eq!(totals.delivered, 200, "{}", report.human());
    assert_eq!(totals.streams_complete, 2, "{}", report.human());
    assert!(report.passed, "{}", report.human());
}

#[tokio::test]
async fn the_json_report_has_the_totals_scripts_read() {
    let mut config = ChaosConfig::default();
    config.clients = 1;
    config.messages = 5;
    config.chunks = 3;
    config.duration = Duration::from_millis(200);
    config.faults = "none".parse().unwrap();
    config.json = true;
    let report = run(config).await.unwrap();
    let json = serde_json::to_value(&report).unwrap();
    for field in ["lost", "duplicated", "out_of_order", "corrupted", "sent", "delivered"] {
        assert!(json["totals"][field].is_u64(), "totals.{field} in {json}");
    }
    assert_eq!(json["totals"]["delivered"], 10);
    assert_eq!(json["passed"], true, "{}", report.human());
}
