//! Applies the limits and the allowlist to measured files.

use super::config::{AllowEntry, Config, MANIFEST, MODULE_ITEM};
use super::measure::{FileMeasure, FnMeasure};
use super::report::{Diagnostic, Rule};
use super::tree;

/// One measured thing a limit applies to: a file's module or a function.
struct Subject<'a> {
    path: &'a str,
    item: &'a str,
    line: usize,
    lines: usize,
    limit: usize,
    rule: Rule,
}

/// Files under a `benches` directory are exempt from the module rule (test files are too).
fn is_bench(path: &str) -> bool {
    let dirs = path.rsplit_once('/').map_or("", |(dirs, _)| dirs);
    dirs.split('/').any(|dir| dir == "benches")
}

/// Every violation and allowlist error for `files` (pairs of relative path and measure).
pub fn check(config: &Config, files: &[(String, FileMeasure)]) -> Vec<Diagnostic> {
    let subjects = subjects(config, files);
    let listed =
        |s: &Subject<'_>| config.allow.iter().any(|e| e.path == s.path && e.item == s.item);
    let mut diagnostics: Vec<Diagnostic> = (subjects.iter())
        .filter(|subject| subject.lines > subject.limit && !listed(subject))
        .map(|subject| over_limit(subject, None))
        .collect();
    for entry in &config.allow {
        diagnostics.extend(check_entry(entry, &subjects, files));
    }
    diagnostics
}

fn subjects<'a>(config: &Config, files: &'a [(String, FileMeasure)]) -> Vec<Subject<'a>> {
    let mut subjects = Vec::new();
    let tests = tree::test_files(files);
    for (path, measure) in files {
        let test_file = tests.contains(path);
        if !test_file && !is_bench(path) {
            subjects.push(Subject::module(path, measure, config));
        }
        let fns = measure.fns.iter();
        subjects.extend(fns.map(|func| Subject::function(path, func, test_file, config)));
    }
    subjects
}

impl<'a> Subject<'a> {
    fn module(path: &'a str, measure: &FileMeasure, config: &Config) -> Self {
        let (lines, limit) = (measure.module_lines, config.module_max_lines);
        let rule = Rule::ModuleLines;
        Subject { path, item: MODULE_ITEM, line: 1, lines, limit, rule }
    }

    fn function(path: &'a str, func: &'a FnMeasure, test_file: bool, config: &Config) -> Self {
        let limit =
            if func.is_test || test_file { config.test_fn_max_lines } else { config.fn_max_lines };
        let (item, line, lines, rule) = (func.name.as_str(), func.line, func.lines, Rule::FnLines);
        Subject { path, item, line, lines, limit, rule }
    }
}

/// Judges one entry by the largest item it names (names can repeat, e.g. `Foo::fmt`).
fn check_entry(
    entry: &AllowEntry,
    subjects: &[Subject<'_>],
    files: &[(String, FileMeasure)],
) -> Option<Diagnostic> {
    let matching = subjects.iter().filter(|s| s.path == entry.path && s.item == entry.item);
    let Some(worst) = matching.max_by_key(|subject| subject.lines) else {
        return Some(stale(entry, files));
    };
    let what = format!("`{}` in {}", entry.item, entry.path);
    let message = if worst.lines <= worst.limit {
        format!(
            "allowlist entry for {what} is unneeded: {} code lines is within the limit of {}; \
             remove it",
            worst.lines, worst.limit
        )
    } else if worst.lines > entry.max {
        return Some(over_limit(worst, Some(entry.max)));
    } else if worst.lines < entry.max {
        format!("allowlist max {} for {what} can shrink to {}", entry.max, worst.lines)
    } else {
        return None;
    };
    Some(allowlist_error(entry, message))
}

fn stale(entry: &AllowEntry, files: &[(String, FileMeasure)]) -> Diagnostic {
    let reason = if !files.iter().any(|(path, _)| *path == entry.path) {
        "no such file under the lint roots".to_owned()
    } else if entry.item == MODULE_ITEM {
        "the file is exempt from the module rule".to_owned()
    } else {
        format!("no function `{}` in the file", entry.item)
    };
    let message =
        format!("allowlist entry for `{}` in {} is stale: {reason}", entry.item, entry.path);
    allowlist_error(entry, message)
}

fn allowlist_error(entry: &AllowEntry, message: String) -> Diagnostic {
    Diagnostic { path: MANIFEST.to_owned(), line: Some(entry.line), rule: Rule::Allowlist, message }
}

fn over_limit(subject: &Subject<'_>, allowed: Option<usize>) -> Diagnostic {
    let limit = match allowed {
        Some(max) => format!("allowlist max {max}"),
        None => format!("limit {}", subject.limit),
    };
    let what = match subject.rule {
        Rule::ModuleLines => "module".to_owned(),
        _ => format!("function `{}`", subject.item),
    };
    Diagnostic {
        path: subject.path.to_owned(),
        line: Some(subject.line),
        rule: subject.rule,
        message: format!("{what} has {} code lines ({limit})", subject.lines),
    }
}
