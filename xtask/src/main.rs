//! Project automation. Run `cargo xtask help`.
//!
//! This file only dispatches arguments; the work lives in the `xtask` library.

// This crate is a command-line tool: its output is the product, so printing is intended.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

const USAGE: &str = "\
Usage: cargo xtask <command>

Commands:
  lint-limits   check file and function sizes (see docs/lint-limits.md)
  ci            fmt, clippy, lint-limits, test, browser, mutants (backoff), deny; stops at the first failure
  mutants [--check] [CRATE...]
                mutation testing with cargo-mutants (installed when absent) over CRATE, or over
                the pattern crates, backoff and ws-proto; fails under 90 % caught per crate;
                without --check, records the result in docs/mutation.md
  help          print this message

lint-limits exits 0 when clean, 1 on violations, 2 on parse or config errors.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None | Some("help" | "-h" | "--help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some("lint-limits") if args.len() == 1 => lint_limits(),
        Some("ci") if args.len() == 1 => ci(),
        Some("mutants") => mutants(&args[1..]),
        Some(_) => {
            eprintln!("error: unexpected arguments: {}\n\n{USAGE}", args.join(" "));
            ExitCode::from(2)
        }
    }
}

/// Runs the size lint over the workspace and maps its outcome to the documented exit codes.
fn lint_limits() -> ExitCode {
    match xtask::lint::run(&xtask::workspace_root()) {
        Ok(outcome) => {
            print!("{}", outcome.render());
            ExitCode::from(outcome.exit_code())
        }
        Err(err) => {
            eprintln!("lint-limits: error: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// Runs the CI steps; any failure has already been explained when this returns an error.
fn ci() -> ExitCode {
    match xtask::ci::run(&xtask::workspace_root()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("ci: FAILED: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs mutation testing; `--check` leaves `docs/mutation.md` alone.
fn mutants(args: &[String]) -> ExitCode {
    let check = args.iter().any(|a| a == "--check");
    let crates: Vec<String> = args.iter().filter(|a| *a != "--check").cloned().collect();
    match xtask::mutants::run(&xtask::workspace_root(), &crates, !check) {
        Ok(_) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("mutants: FAILED: {err:#}");
            ExitCode::FAILURE
        }
    }
}
