//! Tests for the syn visitor: which functions exist, their names, sizes and test status.

use super::{FileMeasure, measure};

/// Asserts the module line count and each fn as `name lines` (plus ` test` for tests).
#[track_caller]
fn check(src: &str, module_lines: usize, fns: &[&str]) {
    let FileMeasure { module_lines: actual, fns: measured, .. } = measure(src).unwrap();
    let described: Vec<String> = (measured.iter())
        .map(|f| format!("{} {}{}", f.name, f.lines, if f.is_test { " test" } else { "" }))
        .collect();
    assert_eq!((actual, described), (module_lines, fns.iter().map(|s| s.to_string()).collect()));
}

#[test]
fn nested_fns_are_measured_separately_and_count_in_the_parent() {
    let src = "fn outer() {\n    let a = 1;\n    fn inner() {\n        let b = 2;\n    }\n    let c = 3;\n}\n";
    check(src, 7, &["outer 5", "outer::inner 1"]);
}

#[test]
fn impl_methods_and_trait_default_methods() {
    let src = "\
trait Speak {
    fn required(&self);
    fn provided(&self) -> u8 {
        // A comment line is not code.
        1
    }
}
impl<T> Speak for Wrapper<T> {
    fn required(&self) {
        let _ = 1;
    }
}
";
    check(src, 11, &["Speak::provided 1", "Wrapper::required 1"]);
}

#[test]
fn strings_and_comments_inside_bodies() {
    let src = r####"fn f() {
    let s = "}";
    let r = r#"{ // "#;
    /* } */
    /// Doc comments are comments.

    let t = "a
// inside a string";
}
"####;
    check(src, 6, &["f 4"]);
}

#[test]
fn cfg_test_items_are_excluded_and_their_fns_are_tests() {
    let src = "\
fn lib() {}

#[cfg(test)]
mod tests {
    fn helper() {
        let x = 1;
    }
    #[test]
    fn works() {}
}
";
    check(src, 1, &["lib 0", "tests::helper 1 test", "tests::works 0 test"]);
}

#[test]
fn cfg_all_test_is_excluded_but_cfg_not_test_is_not() {
    let src = "#[cfg(all(test, feature = \"x\"))]\nfn a() {}\n#[cfg(not(test))]\nfn b() {}\n";
    check(src, 2, &["a 0 test", "b 0"]);
}

#[test]
fn cfg_test_impl_items_are_excluded() {
    let src = "impl S {\n    #[cfg(test)]\n    fn probe(&self) {\n        let _ = 1;\n    }\n}\n";
    check(src, 2, &["S::probe 1 test"]);
}

#[test]
fn test_attributes_make_test_fns() {
    let src = "\
#[test]
fn plain() {}
#[tokio::test(start_paused = true)]
async fn paused() {}
fn not_a_test() {}
";
    check(src, 5, &["plain 0 test", "paused 0 test", "not_a_test 0"]);
}

#[test]
fn macro_bodies_are_opaque() {
    let src = "\
async fn run() {
    tokio::select! {
        _ = a() => {
            fn not_an_item() {}
        }
    }
}
proptest::proptest! {
    #[test]
    fn generated(x in 0u8..) {}
}
";
    check(src, 11, &["run 5"]);
}

#[test]
fn reported_line_is_the_name() {
    let measured = measure("/// Docs.\n#[inline]\npub fn named() {}\n").unwrap();
    assert_eq!(measured.fns[0].line, 3);
}

#[test]
fn parse_errors_are_reported() {
    assert!(measure("fn broken( {").is_err());
}

#[test]
fn out_of_line_module_declarations() {
    let src = "\
mod plain;
#[cfg(test)]
mod proptests;
#[path = \"x_tests.rs\"]
#[cfg(test)]
mod x;
mod inline {
    mod deeper;
}
";
    let mods = measure(src).unwrap().mods;
    let described: Vec<String> = (mods.iter())
        .map(|m| format!("{:?} {} {:?} {}", m.inline, m.name, m.path_attr, m.is_test))
        .collect();
    let expected = [
        "[] plain None false",
        "[] proptests None true",
        "[] x Some(\"x_tests.rs\") true",
        "[\"inline\"] deeper None false",
    ];
    assert_eq!(described, expected);
}
