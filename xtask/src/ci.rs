//! `cargo xtask ci`: the whole gate, in order, stopping at the first failure.
//!
//! Steps: `cargo fmt --all --check`, `cargo clippy --workspace --all-targets -- -D warnings`,
//! lint-limits (in-process), `cargo test --workspace` (doc tests included), the TypeScript
//! client's tests (`npm ci && npm test` in `clients/typescript`, after `cargo build -p wsr`),
//! mutation testing of `backoff` (≥ 90 % caught), and `cargo deny check bans licenses sources`. Each step prints its name and duration.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context as _, bail};

/// One CI step.
enum Step {
    /// `cargo` with these arguments.
    Cargo(&'static [&'static str]),
    /// The size lint, run in this process.
    LintLimits,
    /// The TypeScript client's unit and browser tests ([`crate::browser`]).
    Browser,
    /// Mutation testing of one small fixed crate ([`crate::mutants`]); the full run is
    /// `cargo xtask mutants`.
    Mutants(&'static str),
}

const STEPS: &[(&str, Step)] = &[
    ("fmt", Step::Cargo(&["fmt", "--all", "--check"])),
    ("clippy", Step::Cargo(&["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"])),
    ("lint-limits", Step::LintLimits),
    ("test", Step::Cargo(&["test", "--workspace"])),
    ("browser", Step::Browser),
    ("mutants", Step::Mutants("backoff")),
    ("deny", Step::Cargo(&["deny", "check", "bans", "licenses", "sources"])),
];

/// Runs every step from the workspace `root`; the error names the step that failed.
pub fn run(root: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    for (name, step) in STEPS {
        println!("==> ci: {name}");
        let step_started = Instant::now();
        let result = match step {
            Step::Cargo(args) => cargo_step(root, args),
            Step::LintLimits => lint_step(root),
            Step::Browser => crate::browser::run(root),
            Step::Mutants(name) => {
                crate::mutants::run(root, &[(*name).to_owned()], false).map(drop)
            }
        };
        let secs = step_started.elapsed().as_secs_f64();
        result.with_context(|| format!("step `{name}` failed after {secs:.1}s"))?;
        println!("==> ci: {name} ok ({secs:.1}s)");
    }
    println!("==> ci: all steps passed ({:.1}s)", started.elapsed().as_secs_f64());
    Ok(())
}

fn cargo_step(root: &Path, args: &[&str]) -> anyhow::Result<()> {
    if args.first() == Some(&"deny") {
        ensure_cargo_deny(root)?;
    }
    let status = cargo(root)
        .args(args)
        .status()
        .with_context(|| format!("could not start `cargo {}`", args.join(" ")))?;
    if !status.success() {
        bail!("`cargo {}` exited with {status}", args.join(" "));
    }
    Ok(())
}

fn lint_step(root: &Path) -> anyhow::Result<()> {
    let outcome = crate::lint::run(root)?;
    print!("{}", outcome.render());
    if !outcome.is_clean() {
        bail!("lint-limits reported errors (see docs/lint-limits.md)");
    }
    Ok(())
}

fn ensure_cargo_deny(root: &Path) -> anyhow::Result<()> {
    let installed = cargo(root)
        .args(["deny", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !installed {
        bail!(
            "cargo-deny is not installed; install it with `cargo install --locked cargo-deny` \
             (`.ci/run` does this on a fresh machine)"
        );
    }
    Ok(())
}

/// The cargo that launched us (`$CARGO`), falling back to `cargo` on `PATH`.
fn cargo(root: &Path) -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(root);
    command
}
