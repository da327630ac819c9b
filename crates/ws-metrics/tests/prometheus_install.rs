//! Installing the global Prometheus recorder, in its own process so no other test sees it.

#![cfg(feature = "prometheus")]
#![allow(clippy::unwrap_used)]

use ws_metrics::{Metrics, prometheus};

#[test]
fn install_serves_global_metrics_and_refuses_a_second_install() {
    let handle = prometheus::install().unwrap();
    Metrics::new().connection_opened();
    let text = handle.render();
    assert!(text.contains("wsr_connections_opened_total 1"), "{text}");
    assert!(text.contains("# HELP wsr_connections_active Connections currently open."), "{text}");
    assert!(matches!(prometheus::install(), Err(ws_metrics::Error::Prometheus(_))));
}
