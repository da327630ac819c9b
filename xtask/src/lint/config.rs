//! The `[workspace.metadata.lint-limits]` table of the root `Cargo.toml`.

use serde::Deserialize;
use toml::Spanned;

use super::report::{Diagnostic, Rule};

/// The `item` of an allowlist entry that raises a file's module limit.
pub const MODULE_ITEM: &str = "<module>";

/// The manifest the table lives in, relative to the workspace root.
pub const MANIFEST: &str = "Cargo.toml";

/// Validated lint configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Most code lines a non-test file may have.
    pub module_max_lines: usize,
    /// Most code lines a non-test function body may have.
    pub fn_max_lines: usize,
    /// Most code lines a test function body may have.
    pub test_fn_max_lines: usize,
    /// Directories, relative to the workspace root, whose `.rs` files are checked.
    pub roots: Vec<String>,
    /// Exceptions; each must match the current count exactly.
    pub allow: Vec<AllowEntry>,
}

/// One allowlist exception.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowEntry {
    /// The file, relative to the workspace root, with `/` separators.
    pub path: String,
    /// A function name as reported by the lint (`Type::method`), or [`MODULE_ITEM`].
    pub item: String,
    /// The raised limit; it must equal the item's current count.
    pub max: usize,
    /// Why the item may be this long.
    pub reason: String,
    /// Line of the entry in the manifest, for diagnostics.
    pub line: usize,
}

#[derive(Deserialize)]
struct Manifest {
    workspace: Workspace,
}

#[derive(Deserialize)]
struct Workspace {
    metadata: Metadata,
}

#[derive(Deserialize)]
struct Metadata {
    #[serde(rename = "lint-limits")]
    lint_limits: RawConfig,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    module_max_lines: usize,
    fn_max_lines: usize,
    test_fn_max_lines: usize,
    roots: Vec<String>,
    #[serde(default)]
    allow: Vec<Spanned<RawAllow>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAllow {
    path: String,
    item: String,
    max: usize,
    reason: Option<String>,
}

/// Parses and validates the table from the text of the root manifest.
pub fn parse(manifest: &str) -> Result<Config, Vec<Diagnostic>> {
    let raw = match toml::from_str::<Manifest>(manifest) {
        Ok(parsed) => parsed.workspace.metadata.lint_limits,
        Err(err) => {
            let line = err.span().map(|span| line_of(manifest, span.start));
            let message = format!("[workspace.metadata.lint-limits]: {}", err.message());
            return Err(vec![config_error(line, message)]);
        }
    };
    Ok(Config {
        module_max_lines: raw.module_max_lines,
        fn_max_lines: raw.fn_max_lines,
        test_fn_max_lines: raw.test_fn_max_lines,
        roots: raw.roots,
        allow: allowlist(manifest, raw.allow)?,
    })
}

/// Validates every entry, reporting all bad ones at once.
fn allowlist(
    manifest: &str,
    raw: Vec<Spanned<RawAllow>>,
) -> Result<Vec<AllowEntry>, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut allow: Vec<AllowEntry> = Vec::new();
    for spanned in raw {
        let line = line_of(manifest, spanned.span().start);
        match validate(spanned.into_inner(), line, &allow) {
            Ok(entry) => allow.push(entry),
            Err(message) => errors.push(config_error(Some(line), message)),
        }
    }
    if errors.is_empty() { Ok(allow) } else { Err(errors) }
}

/// Checks one entry against the rules that need no source: a reason, a sane path, no repeats.
fn validate(raw: RawAllow, line: usize, earlier: &[AllowEntry]) -> Result<AllowEntry, String> {
    let RawAllow { path, item, max, reason } = raw;
    let reason = reason.unwrap_or_default();
    let problem = if reason.trim().is_empty() {
        "has no reason; say why the item may be this long"
    } else if path.starts_with('/') || path.contains('\\') {
        "needs a workspace-relative path with `/` separators"
    } else if earlier.iter().any(|e| e.path == path && e.item == item) {
        "is listed twice"
    } else {
        return Ok(AllowEntry { path, item, max, reason, line });
    };
    Err(format!("allowlist entry `{path}` `{item}` {problem}"))
}

fn config_error(line: Option<usize>, message: String) -> Diagnostic {
    Diagnostic { path: MANIFEST.to_owned(), line, rule: Rule::Config, message }
}

/// The 1-based line holding byte `offset` of `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).map_or(1, |before| before.matches('\n').count() + 1)
}
