//! Tests of the fault spec, the duration parser and the seeded schedule.

use std::time::Duration;

use super::*;

#[track_caller]
fn check_spec(spec: &str, expected: &[FaultKind]) {
    let parsed: FaultSpec = spec.parse().unwrap_or_else(|e| panic!("{spec:?}: {e}"));
    assert_eq!(parsed.kinds(), expected, "{spec:?}");
}

#[test]
fn spec_parses_lists_all_and_none() {
    check_spec("all", &FaultKind::ALL);
    check_spec("reset,close,stall,cut", &FaultKind::ALL);
    check_spec("cut, reset ,cut", &[FaultKind::Reset, FaultKind::Cut]);
    check_spec("STALL", &[FaultKind::Stall]);
    check_spec("none", &[]);
    check_spec("", &[]);
    assert!("reset,explode".parse::<FaultSpec>().is_err());
    assert_eq!(FaultSpec::default().to_string(), "reset,close,stall,cut");
    assert_eq!("none".parse::<FaultSpec>().map(|s| s.to_string()), Ok("none".into()));
}

#[track_caller]
fn check_duration(text: &str, expected: Option<Duration>) {
    assert_eq!(parse_duration(text).ok(), expected, "{text:?}");
}

#[test]
fn durations_parse_with_units() {
    check_duration("20s", Some(Duration::from_secs(20)));
    check_duration("20", Some(Duration::from_secs(20)));
    check_duration("1500ms", Some(Duration::from_millis(1500)));
    check_duration("2.5s", Some(Duration::from_millis(2500)));
    check_duration("1m", Some(Duration::from_secs(60)));
    check_duration("soon", None);
    check_duration("5h", None);
}

#[test]
fn schedule_is_deterministic_per_seed_and_in_range() {
    let spec = FaultSpec::default();
    let draw = |seed| {
        let mut schedule = Schedule::new(seed, &spec, 7);
        (0..200).filter_map(|_| schedule.next_fault()).collect::<Vec<_>>()
    };
    let first = draw(42);
    assert_eq!(first, draw(42), "same seed, same faults");
    assert_ne!(first, draw(43), "another seed, other faults");
    for kind in FaultKind::ALL {
        assert!(first.iter().any(|f| f.action.kind() == kind), "{kind:?} drawn");
    }
    for fault in &first {
        assert!(fault.client < 7);
        match fault.action {
            Action::Stall { duration, .. } => {
                assert!((200..=1500).contains(&duration.as_millis()));
            }
            Action::Cut { after_bytes } => assert!((1..=512).contains(&after_bytes)),
            Action::Reset | Action::Close => {}
        }
    }
}

#[test]
fn schedule_draws_only_enabled_kinds() {
    let spec: FaultSpec = "stall".parse().unwrap_or_default();
    let mut schedule = Schedule::new(1, &spec, 3);
    for _ in 0..50 {
        let fault = schedule.next_fault().map(|f| f.action.kind());
        assert_eq!(fault, Some(FaultKind::Stall));
    }
    let mut none = Schedule::new(1, &"none".parse().unwrap_or_default(), 3);
    assert_eq!(none.next_fault(), None);
}
