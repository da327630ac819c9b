//! Project automation for the ws-reliable workspace, as a library so tests can drive it.
//!
//! The binary (`cargo xtask`) is a thin argument dispatcher over this crate:
//! [`lint`] enforces the size limits of `docs/lint-limits.md`, [`ci`] runs the whole gate,
//! [`mutants`] runs mutation testing.

// This crate is a command-line tool: its output is the product, so printing is intended.
#![allow(clippy::print_stdout, clippy::print_stderr)]

pub mod browser;
pub mod ci;
pub mod lint;
pub mod mutants;

use std::path::PathBuf;

/// The workspace root: the parent of this crate's manifest directory.
pub fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().map_or(manifest_dir.clone(), PathBuf::from)
}
