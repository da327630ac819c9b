//! The browser client's step of `cargo xtask ci`: builds `wsr` (debug) with cargo, then runs
//! `npm ci && npm test` in `clients/typescript` with `WSR_BIN` pointing at the built binary.
//! npm's output (the node test runner's summary) goes straight to the terminal.

use std::path::Path;
use std::process::Command;

use anyhow::{Context as _, bail};

/// Builds `wsr`, installs the package's locked dev dependencies and runs its tests.
pub fn run(root: &Path) -> anyhow::Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    build.current_dir(root).args(["build", "-p", "wsr"]);
    status(build, "cargo build -p wsr")?;
    let package = root.join("clients/typescript");
    let wsr = root.join("target/debug/wsr");
    for args in [["ci"], ["test"]] {
        let mut npm = Command::new("npm");
        npm.current_dir(&package).args(args).env("WSR_BIN", &wsr);
        status(npm, &format!("npm {}", args[0]))?;
    }
    Ok(())
}

fn status(mut command: Command, what: &str) -> anyhow::Result<()> {
    let status = command.status().with_context(|| format!("could not start `{what}`"))?;
    if !status.success() {
        bail!("`{what}` exited with {status}");
    }
    Ok(())
}
