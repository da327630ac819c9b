//! `cargo xtask lint-limits`: code-line limits for files and functions.
//!
//! The rules are specified in `docs/lint-limits.md`. In short: a file may have at most
//! `module_max_lines` code lines outside `#[cfg(test)]` items, a function body at most
//! `fn_max_lines` (`test_fn_max_lines` for tests), and exceptions live in an allowlist in the
//! root `Cargo.toml` whose `max` must equal the current count, so it can only shrink.

pub mod check;
pub mod config;
pub mod lexer;
pub mod measure;
pub mod report;
pub mod tree;

use std::path::{Path, PathBuf};

use anyhow::Context as _;

pub use config::Config;
pub use report::{Diagnostic, Outcome, Rule};

/// Directory names never descended into: build output and test fixtures.
const SKIPPED_DIRS: &[&str] = &["target", "fixtures"];

/// Reads the config from `root/Cargo.toml`, then checks every `.rs` file under its roots.
pub fn run(root: &Path) -> anyhow::Result<Outcome> {
    let manifest_path = root.join(config::MANIFEST);
    let manifest = std::fs::read_to_string(&manifest_path)
        .with_context(|| format!("reading {}", manifest_path.display()))?;
    let config = match config::parse(&manifest) {
        Ok(config) => config,
        Err(errors) => return Ok(Outcome::new(errors, 0, 0)),
    };
    let sources = read_sources(root, &config.roots)?;
    Ok(check_sources(&config, &sources))
}

/// Checks in-memory sources, given as pairs of workspace-relative path and text.
pub fn check_sources(config: &Config, sources: &[(String, String)]) -> Outcome {
    let mut measured = Vec::new();
    let mut diagnostics = Vec::new();
    for (path, text) in sources {
        match measure::measure(text) {
            Ok(file) => measured.push((path.clone(), file)),
            Err(err) => diagnostics.push(Diagnostic {
                path: path.clone(),
                line: None,
                rule: Rule::Parse,
                message: format!("line {}: {err}", err.span().start().line),
            }),
        }
    }
    let fns = measured.iter().map(|(_, file)| file.fns.len()).sum();
    diagnostics.extend(check::check(config, &measured));
    Outcome::new(diagnostics, sources.len(), fns)
}

/// Reads every `.rs` file under `roots`, sorted by relative path.
fn read_sources(root: &Path, roots: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    let mut files = Vec::new();
    for dir in roots {
        let dir = root.join(dir);
        anyhow::ensure!(dir.is_dir(), "lint root {} is not a directory", dir.display());
        collect_rs_files(&dir, &mut files)?;
    }
    let mut sources = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("reading {}", file.display()))?;
        sources.push((relative(root, &file), text));
    }
    sources.sort();
    Ok(sources)
}

fn collect_rs_files(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        let name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default();
        if path.is_dir() {
            if !name.starts_with('.') && !SKIPPED_DIRS.contains(&name) {
                collect_rs_files(&path, out)?;
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
    Ok(())
}

/// `path` relative to `root`, with `/` separators on every platform.
fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<_> = rel.components().map(|part| part.as_os_str().to_string_lossy()).collect();
    parts.join("/")
}

#[cfg(test)]
mod tests;
