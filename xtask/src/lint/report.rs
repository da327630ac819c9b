//! Diagnostics and the rendered report: `path:line: error[rule]: message`, then a summary.

use std::fmt;

/// Which rule a diagnostic comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rule {
    /// A file has more code lines than the module limit (or its allowlist max).
    ModuleLines,
    /// A function body has more code lines than its limit (or its allowlist max).
    FnLines,
    /// An allowlist entry is stale, unneeded, or its `max` can shrink.
    Allowlist,
    /// A source file does not parse; the lint cannot judge it.
    Parse,
    /// The `[workspace.metadata.lint-limits]` table is malformed.
    Config,
}

impl Rule {
    /// The name printed between `error[` and `]`.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::ModuleLines => "module-lines",
            Rule::FnLines => "fn-lines",
            Rule::Allowlist => "allowlist",
            Rule::Parse => "parse",
            Rule::Config => "config",
        }
    }

    /// Parse and config errors stop the lint from judging; they exit with 2, not 1.
    pub fn is_error(self) -> bool {
        matches!(self, Rule::Parse | Rule::Config)
    }
}

/// One finding, located by a workspace-relative path and, when known, a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    /// Path relative to the workspace root, with `/` separators.
    pub path: String,
    /// The line the finding points at, if there is one.
    pub line: Option<usize>,
    /// The rule that produced it.
    pub rule: Rule,
    /// A sentence saying what is wrong and by how much.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: ", self.path)?,
            None => write!(f, "{}: ", self.path)?,
        }
        write!(f, "error[{}]: {}", self.rule.as_str(), self.message)
    }
}

/// Everything one lint run found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Findings sorted by path, then line.
    pub diagnostics: Vec<Diagnostic>,
    /// Number of `.rs` files read.
    pub files: usize,
    /// Number of function bodies measured.
    pub fns: usize,
}

impl Outcome {
    /// Builds an outcome, sorting the diagnostics by path and line.
    pub fn new(mut diagnostics: Vec<Diagnostic>, files: usize, fns: usize) -> Self {
        diagnostics.sort();
        Outcome { diagnostics, files, fns }
    }

    /// True when there is nothing to report.
    pub fn is_clean(&self) -> bool {
        self.diagnostics.is_empty()
    }

    /// 0 when clean, 2 on any parse or config error, otherwise 1.
    pub fn exit_code(&self) -> u8 {
        if self.diagnostics.iter().any(|diag| diag.rule.is_error()) {
            2
        } else {
            u8::from(!self.is_clean())
        }
    }

    /// One line per diagnostic, then a summary line; every line ends with a newline.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for diag in &self.diagnostics {
            out.push_str(&format!("{diag}\n"));
        }
        let checked = format!("{} files, {} functions", self.files, self.fns);
        let summary = match self.diagnostics.len() {
            0 => format!("lint-limits: ok ({checked} checked)"),
            1 => format!("lint-limits: 1 error ({checked} checked)"),
            n => format!("lint-limits: {n} errors ({checked} checked)"),
        };
        out.push_str(&summary);
        out.push('\n');
        out
    }
}
