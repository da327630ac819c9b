//! The size lint as a test: `cargo test --workspace` fails when the workspace breaks a limit.

#[test]
fn workspace_is_within_lint_limits() {
    let outcome = xtask::lint::run(&xtask::workspace_root()).expect("lint-limits could not run");
    assert!(
        outcome.is_clean(),
        "cargo xtask lint-limits found problems (see docs/lint-limits.md):\n{}",
        outcome.render()
    );
}
