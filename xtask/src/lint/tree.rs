//! Which files are test code: by name, or by being declared from test code.
//!
//! A file is a test file when it is named `tests.rs`, lies under a directory named `tests`,
//! or is the file of an out-of-line module declared `#[cfg(test)]` (or declared anywhere in a
//! `#[cfg(test)]` item or in another test file). Declarations are resolved the way rustc
//! does: `mod x;` in `lib.rs`, `main.rs` or `mod.rs` looks beside the file, in `foo.rs` it
//! looks in `foo/`; `#[path]` is taken relative to the declaring file's directory.

use std::collections::BTreeSet;

use super::measure::{FileMeasure, ModDecl};

/// Test files by their name alone: `tests.rs`, or anything under a `tests` directory.
pub fn is_test_path(path: &str) -> bool {
    let (dirs, file) = path.rsplit_once('/').unwrap_or(("", path));
    file == "tests.rs" || dirs.split('/').any(|dir| dir == "tests")
}

/// Every test file among `files`, following test module declarations to a fixed point.
pub fn test_files(files: &[(String, FileMeasure)]) -> BTreeSet<String> {
    let known: BTreeSet<&str> = files.iter().map(|(path, _)| path.as_str()).collect();
    let mut tests: BTreeSet<String> =
        known.iter().filter(|path| is_test_path(path)).map(|path| path.to_string()).collect();
    loop {
        let before = tests.len();
        for (path, measure) in files {
            let whole_file = tests.contains(path);
            let decls = measure.mods.iter().filter(|decl| whole_file || decl.is_test);
            let children: Vec<String> = decls.filter_map(|d| resolve(path, d, &known)).collect();
            tests.extend(children);
        }
        if tests.len() == before {
            return tests;
        }
    }
}

/// The known file a declaration in `parent` refers to, if it is among the checked files.
fn resolve(parent: &str, decl: &ModDecl, known: &BTreeSet<&str>) -> Option<String> {
    let (dir, file) = parent.rsplit_once('/').unwrap_or(("", parent));
    let owns_dir = matches!(file, "lib.rs" | "main.rs" | "mod.rs");
    let mut base = match (&decl.path_attr, owns_dir) {
        (Some(_), _) | (None, true) => dir.to_owned(),
        (None, false) => join(dir, file.trim_end_matches(".rs")),
    };
    for inline in &decl.inline {
        base = join(&base, inline);
    }
    let candidates = match &decl.path_attr {
        Some(path) => vec![join(&base, path)],
        None => {
            vec![join(&base, &format!("{}.rs", decl.name)), join(&base, &decl.name) + "/mod.rs"]
        }
    };
    candidates.into_iter().find(|candidate| known.contains(candidate.as_str()))
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() { name.to_owned() } else { format!("{dir}/{name}") }
}
