//! A comment-aware line classifier for Rust source.
//!
//! It answers one question per line: does the line hold at least one token that is not
//! whitespace or a comment? It knows line comments, nested block comments, doc comments
//! (which are comments here), string literals, raw strings (`r#"..."#`), byte and C strings,
//! and char literals versus lifetimes, so a `//` or `{` inside a literal is just code.
//! A literal that spans lines marks every line it touches as code.

/// Returns, for each line of `src` (index 0 is line 1), whether it is a code line.
pub fn code_lines(src: &str) -> Vec<bool> {
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    let line_count = src.matches('\n').count() + 1;
    let mut lexer =
        Lexer { chars: src.chars().collect(), pos: 0, line: 0, code: vec![false; line_count] };
    lexer.run();
    lexer.code
}

/// Cursor over the source characters plus the per-line result being built.
struct Lexer {
    chars: Vec<char>,
    pos: usize,
    line: usize,
    code: Vec<bool>,
}

impl Lexer {
    fn run(&mut self) {
        while let Some(c) = self.peek(0) {
            match c {
                '/' if self.peek(1) == Some('/') => self.line_comment(),
                '/' if self.peek(1) == Some('*') => self.block_comment(),
                '"' => self.literal(|lexer| lexer.cooked_string()),
                '\'' => self.quote(),
                c if c.is_alphanumeric() || c == '_' => self.word(),
                c if c.is_whitespace() => self.bump(),
                _ => {
                    self.mark(self.line);
                    self.bump();
                }
            }
        }
    }

    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    fn bump(&mut self) {
        if self.peek(0) == Some('\n') {
            self.line += 1;
        }
        self.pos += 1;
    }

    fn mark(&mut self, line: usize) {
        if let Some(slot) = self.code.get_mut(line) {
            *slot = true;
        }
    }

    fn line_comment(&mut self) {
        while self.peek(0).is_some_and(|c| c != '\n') {
            self.bump();
        }
    }

    /// Skips a block comment, honouring nesting; an unterminated one runs to the end.
    fn block_comment(&mut self) {
        let mut depth = 0usize;
        while let Some(c) = self.peek(0) {
            let next = self.peek(1);
            if c == '/' && next == Some('*') {
                depth += 1;
                self.pos += 2;
            } else if c == '*' && next == Some('/') {
                depth -= 1;
                self.pos += 2;
                if depth == 0 {
                    return;
                }
            } else {
                self.bump();
            }
        }
    }

    /// Consumes one literal with `body` and marks every line it touched as code.
    fn literal(&mut self, body: impl FnOnce(&mut Self)) {
        let first = self.line;
        body(self);
        for line in first..=self.line {
            self.mark(line);
        }
    }

    /// Consumes `"..."` with backslash escapes, starting at the opening quote.
    fn cooked_string(&mut self) {
        self.bump();
        while let Some(c) = self.peek(0) {
            self.bump();
            match c {
                '\\' => self.bump(),
                '"' => return,
                _ => {}
            }
        }
    }

    /// Consumes `#*"..."#*` (the part of a raw string after its `r`) with matching hashes.
    fn raw_string(&mut self) {
        let mut hashes = 0;
        while self.peek(0) == Some('#') {
            hashes += 1;
            self.bump();
        }
        self.bump();
        while let Some(c) = self.peek(0) {
            self.bump();
            if c == '"' && (0..hashes).all(|ahead| self.peek(ahead) == Some('#')) {
                self.pos += hashes;
                return;
            }
        }
    }

    /// A `'` starts a char literal (`'x'`, `'\n'`, `'\u{1F600}'`) or a lifetime or label.
    fn quote(&mut self) {
        self.mark(self.line);
        if self.peek(1) == Some('\\') {
            self.pos += 2;
            self.bump();
            while self.peek(0).is_some_and(|c| c != '\'' && c != '\n') {
                self.bump();
            }
            self.bump();
        } else if self.peek(2) == Some('\'') && self.peek(1) != Some('\n') {
            self.pos += 3;
        } else {
            self.pos += 1;
        }
    }

    /// Consumes an identifier, keyword or number, then a literal it prefixes (`r"`, `b'`).
    fn word(&mut self) {
        self.mark(self.line);
        let start = self.pos;
        while self.peek(0).is_some_and(|c| c.is_alphanumeric() || c == '_') {
            self.pos += 1;
        }
        let word: String = self.chars[start..self.pos].iter().collect();
        match (word.as_str(), self.peek(0)) {
            ("r" | "br" | "cr", Some('"' | '#')) if self.starts_raw_string() => {
                self.literal(|lexer| lexer.raw_string());
            }
            ("b" | "c", Some('"')) => self.literal(|lexer| lexer.cooked_string()),
            ("b", Some('\'')) => self.quote(),
            _ => {}
        }
    }

    /// After a raw prefix: `#`s then `"` is a raw string; `#` then a name is a raw identifier.
    fn starts_raw_string(&self) -> bool {
        let mut ahead = 0;
        while self.peek(ahead) == Some('#') {
            ahead += 1;
        }
        self.peek(ahead) == Some('"')
    }
}

#[cfg(test)]
mod tests;
