//! Tests for the line classifier: which lines hold code.

use super::code_lines;

/// Asserts that exactly the 1-based `expected` lines of `src` are code lines.
#[track_caller]
fn check(src: &str, expected: &[usize]) {
    let code: Vec<usize> = (code_lines(src).iter().enumerate())
        .filter(|&(_, &is_code)| is_code)
        .map(|(idx, _)| idx + 1)
        .collect();
    assert_eq!(code, expected, "code lines of:\n{src}");
}

#[test]
fn blank_and_comment_lines_are_not_code() {
    check("fn a() {}\n\n   \n// note\nlet x = 1; // trailing\n", &[1, 5]);
}

#[test]
fn doc_comments_are_comments() {
    check("//! Crate docs.\n/// Item docs.\n/** Block docs. */\nfn a() {}\n", &[4]);
}

#[test]
fn nested_block_comments() {
    let src = "/* outer\n/* inner */\nstill comment\n*/\nfn a() {}\n/* a /* b */ c */ x\n";
    check(src, &[5, 6]);
}

#[test]
fn comment_markers_inside_strings_are_code() {
    check("let a = \"// not a comment\";\nlet b = \"/* nor this\";\nlet c = 1;\n", &[1, 2, 3]);
}

#[test]
fn string_spanning_lines_marks_every_line() {
    check("let s = \"one\n\n// inside\";\n// outside\n", &[1, 2, 3]);
}

#[test]
fn escaped_quote_does_not_end_a_string() {
    check("let s = \"a \\\" /* still string\";\nx\n", &[1, 2]);
}

#[test]
fn raw_strings_with_hashes() {
    let src =
        "let s = r#\"a \" // b\n/* c\"#;\n// comment\nlet t = r\"{\";\nlet u = r##\"\"#\"##;\n";
    check(src, &[1, 2, 4, 5]);
}

#[test]
fn byte_and_c_strings() {
    check("let a = b\"/*\";\nlet b = br#\"//\"#;\nlet c = c\"/*\";\n// end\n", &[1, 2, 3]);
}

#[test]
fn raw_identifier_is_not_a_raw_string() {
    check("let r#match = 1; // c\n// d\n", &[1]);
}

#[test]
fn char_literals_versus_lifetimes() {
    let src = "fn f<'a>(x: &'a str) {}\nlet q = '\"';\n// \"\nlet e = '\\'';\nlet b = b'\"';\n";
    check(src, &[1, 2, 4, 5]);
    check("let u = '\\u{1F600}'; let o = '{';\n/* c */\n'label: loop {}\n", &[1, 3]);
}

#[test]
fn unterminated_constructs_do_not_panic() {
    check("/* open\nforever", &[]);
    check("let s = \"open\nforever", &[1, 2]);
    check("'", &[1]);
}
