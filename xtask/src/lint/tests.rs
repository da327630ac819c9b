//! End-to-end tests of the lint: fixture sources (as strings) through config, rules and report.

use super::{Outcome, check_sources, config};

/// A root manifest whose lint-limits table has the default limits and `allow` entries.
/// The first allowlist entry is on line 10.
fn manifest(allow: &str) -> String {
    format!(
        "[workspace]\nmembers = []\n\n[workspace.metadata.lint-limits]\nmodule_max_lines = 300\n\
         fn_max_lines = 25\ntest_fn_max_lines = 60\nroots = [\"crates\"]\nallow = [\n{allow}]\n"
    )
}

fn lint(allow: &str, sources: &[(&str, String)]) -> Outcome {
    let config = match config::parse(&manifest(allow)) {
        Ok(config) => config,
        Err(errors) => return Outcome::new(errors, 0, 0),
    };
    let sources: Vec<(String, String)> =
        sources.iter().map(|(path, text)| (path.to_string(), text.clone())).collect();
    check_sources(&config, &sources)
}

/// Asserts the rendered report (diagnostics and summary) and the exit code.
#[track_caller]
fn check(allow: &str, sources: &[(&str, String)], expected: &str, exit_code: u8) {
    let outcome = lint(allow, sources);
    assert_eq!(outcome.render(), expected);
    assert_eq!(outcome.exit_code(), exit_code);
}

/// A function whose body has exactly `lines` code lines, padded with comments and blanks.
fn func(attrs: &str, name: &str, lines: usize) -> String {
    let body: String = (0..lines).map(|i| format!("    let v{i} = {i};\n\n    // c\n")).collect();
    format!("{attrs}fn {name}() {{\n{body}}}\n")
}

/// A file of exactly `lines` code lines, padded with comments and blanks.
fn module(lines: usize) -> String {
    (0..lines).map(|i| format!("const C{i}: u8 = 0;\n// c\n\n")).collect()
}

#[test]
fn function_limit_is_inclusive() {
    let ok = [("crates/a/src/lib.rs", func("", "fits", 25))];
    check("", &ok, "lint-limits: ok (1 files, 1 functions checked)\n", 0);
    let long = [("crates/a/src/lib.rs", func("/// Docs.\n", "long", 26))];
    let expected = "crates/a/src/lib.rs:2: error[fn-lines]: function `long` has 26 code lines \
                    (limit 25)\nlint-limits: 1 error (1 files, 1 functions checked)\n";
    check("", &long, expected, 1);
}

#[test]
fn module_limit_is_inclusive() {
    check(
        "",
        &[("crates/a/src/lib.rs", module(300))],
        "lint-limits: ok (1 files, 0 functions checked)\n",
        0,
    );
    let expected = "crates/a/src/lib.rs:1: error[module-lines]: module has 301 code lines \
                    (limit 300)\nlint-limits: 1 error (1 files, 0 functions checked)\n";
    check("", &[("crates/a/src/lib.rs", module(301))], expected, 1);
}

#[test]
fn test_files_and_benches_are_exempt_from_the_module_rule() {
    for path in [
        "crates/a/src/tests.rs",
        "crates/a/tests/it.rs",
        "crates/a/benches/b.rs",
        "tests/src/lib.rs",
    ] {
        assert!(lint("", &[(path, module(400))]).is_clean(), "{path}");
    }
}

#[test]
fn cfg_test_module_is_excluded_from_the_module_rule() {
    let src = format!("{}#[cfg(test)]\nmod tests {{\n{}}}\n", module(300), module(50));
    assert!(lint("", &[("crates/a/src/lib.rs", src)]).is_clean());
}

#[test]
fn test_functions_get_the_test_limit() {
    let path = "crates/a/src/lib.rs";
    let fits = format!("#[cfg(test)]\nmod tests {{\n{}}}\n", func("#[test]\n", "t", 60));
    assert!(lint("", &[(path, fits)]).is_clean());
    assert!(lint("", &[(path, func("#[tokio::test]\n", "t", 60))]).is_clean());
    assert!(lint("", &[("crates/a/src/tests.rs", func("", "helper", 60))]).is_clean());
    let expected = "crates/a/tests/it.rs:2: error[fn-lines]: function `t` has 61 code lines \
                    (limit 60)\nlint-limits: 1 error (1 files, 1 functions checked)\n";
    check("", &[("crates/a/tests/it.rs", func("#[test]\n", "t", 61))], expected, 1);
}

#[test]
fn allowlist_exact_max_is_clean() {
    let allow = "{ path = \"crates/a/src/lib.rs\", item = \"long\", max = 30, reason = \"r\" },\n";
    assert!(lint(allow, &[("crates/a/src/lib.rs", func("", "long", 30))]).is_clean());
    let allow =
        "{ path = \"crates/a/src/lib.rs\", item = \"<module>\", max = 310, reason = \"r\" },\n";
    assert!(lint(allow, &[("crates/a/src/lib.rs", module(310))]).is_clean());
}

#[test]
fn allowlist_max_is_still_a_limit() {
    let allow = "{ path = \"crates/a/src/lib.rs\", item = \"long\", max = 30, reason = \"r\" },\n";
    let expected = "crates/a/src/lib.rs:1: error[fn-lines]: function `long` has 31 code lines \
                    (allowlist max 30)\nlint-limits: 1 error (1 files, 1 functions checked)\n";
    check(allow, &[("crates/a/src/lib.rs", func("", "long", 31))], expected, 1);
}

#[test]
fn allowlist_max_can_only_shrink() {
    let allow = "{ path = \"crates/a/src/lib.rs\", item = \"long\", max = 40, reason = \"r\" },\n";
    let expected = "Cargo.toml:10: error[allowlist]: allowlist max 40 for `long` in \
                    crates/a/src/lib.rs can shrink to 35\n\
                    lint-limits: 1 error (1 files, 1 functions checked)\n";
    check(allow, &[("crates/a/src/lib.rs", func("", "long", 35))], expected, 1);
}

#[test]
fn allowlist_unneeded_entry_is_an_error() {
    let allow = "{ path = \"crates/a/src/lib.rs\", item = \"short\", max = 30, reason = \"r\" },\n";
    let expected = "Cargo.toml:10: error[allowlist]: allowlist entry for `short` in \
                    crates/a/src/lib.rs is unneeded: 25 code lines is within the limit of 25; \
                    remove it\nlint-limits: 1 error (1 files, 1 functions checked)\n";
    check(allow, &[("crates/a/src/lib.rs", func("", "short", 25))], expected, 1);
}

#[test]
fn allowlist_stale_entries_are_errors() {
    let allow = "\
{ path = \"crates/a/src/gone.rs\", item = \"f\", max = 30, reason = \"r\" },
{ path = \"crates/a/src/lib.rs\", item = \"renamed\", max = 30, reason = \"r\" },
{ path = \"crates/a/src/tests.rs\", item = \"<module>\", max = 400, reason = \"r\" },
";
    let sources =
        [("crates/a/src/lib.rs", func("", "f", 1)), ("crates/a/src/tests.rs", module(400))];
    let expected = "\
Cargo.toml:10: error[allowlist]: allowlist entry for `f` in crates/a/src/gone.rs is stale: no such file under the lint roots
Cargo.toml:11: error[allowlist]: allowlist entry for `renamed` in crates/a/src/lib.rs is stale: no function `renamed` in the file
Cargo.toml:12: error[allowlist]: allowlist entry for `<module>` in crates/a/src/tests.rs is stale: the file is exempt from the module rule
lint-limits: 3 errors (2 files, 1 functions checked)
";
    check(allow, &sources, expected, 1);
}

#[test]
fn config_errors_exit_with_two() {
    let allow = "{ path = \"crates/a/src/lib.rs\", item = \"f\", max = 30 },\n";
    let expected = "Cargo.toml:10: error[config]: allowlist entry `crates/a/src/lib.rs` `f` has \
                    no reason; say why the item may be this long\n\
                    lint-limits: 1 error (0 files, 0 functions checked)\n";
    check(allow, &[], expected, 2);
    let outcome =
        lint("{ path = \"x.rs\", item = \"f\", max = 1, reason = \"r\", extra = 1 },\n", &[]);
    assert_eq!(outcome.exit_code(), 2, "{}", outcome.render());
}

#[test]
fn parse_errors_exit_with_two_and_sort_by_path_then_line() {
    let sources = [
        ("crates/b/src/lib.rs", format!("{}{}", func("", "x", 26), func("", "y", 27))),
        ("crates/a/src/lib.rs", "fn broken( {".to_owned()),
    ];
    let outcome = lint("", &sources);
    let rendered = outcome.render();
    let locations: Vec<&str> =
        rendered.lines().map(|line| line.split(": error").next().unwrap_or(line)).collect();
    let summary = "lint-limits: 3 errors (2 files, 2 functions checked)";
    let expected =
        ["crates/a/src/lib.rs", "crates/b/src/lib.rs:1", "crates/b/src/lib.rs:81", summary];
    assert_eq!(locations, expected);
    assert_eq!(outcome.exit_code(), 2);
}

#[test]
fn files_of_cfg_test_module_declarations_are_test_files() {
    let lib = "#[cfg(test)]\nmod support;\nmod machine;\n".to_owned();
    let machine =
        "#[cfg(test)]\nmod proptests;\n#[cfg(test)]\n#[path = \"extra.rs\"]\nmod extra;\n";
    let sources = [
        ("crates/a/src/lib.rs", lib),
        ("crates/a/src/machine.rs", machine.to_owned()),
        ("crates/a/src/machine/proptests.rs", func("", "step", 60) + &module(300)),
        ("crates/a/src/extra.rs", func("", "more", 60) + &module(300)),
        ("crates/a/src/support/mod.rs", "mod deep;\n".to_owned() + &module(300)),
        ("crates/a/src/support/deep.rs", func("", "deepest", 60) + &module(300)),
    ];
    assert!(lint("", &sources).is_clean(), "{}", lint("", &sources).render());
    let not_test = [("crates/a/src/machine/proptests.rs", func("", "step", 26))];
    assert_eq!(lint("", &not_test).exit_code(), 1);
}
