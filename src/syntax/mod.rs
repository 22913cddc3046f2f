//! The front end: text to syntax tree.
//!
//! `parse` never fails and never panics: it returns the tree it could build
//! and a list of diagnostics. It stops at the first lexical or syntax error,
//! returning an empty file with that one diagnostic.

pub mod ast;
pub mod dump;
pub mod lexer;
pub mod token;

lalrpop_util::lalrpop_mod!(
    #[allow(clippy::all, clippy::pedantic, unused_qualifications)]
    grammar,
    "/stn.rs"
);

use crate::base::diag::{Diagnostic, Span};
use lalrpop_util::ParseError;
use lexer::{LexError, Lexer};
use token::Tok;

/// Parses a whole `.stn` file. With no diagnostics, the file is exactly the
/// source's items; otherwise it is empty and the one diagnostic points at the
/// offending token (or the end of input).
pub fn parse(src: &str) -> (ast::File, Vec<Diagnostic>) {
    if src.len() > MAX_SOURCE_BYTES {
        let msg = format!(
            "the source is {} bytes; kernel files are limited to {MAX_SOURCE_BYTES} bytes",
            src.len()
        );
        return (
            ast::File { items: Vec::new() },
            vec![Diagnostic::new(msg, Span::new(0, 0))],
        );
    }
    if let Some(span) = too_deep(src) {
        let msg = format!(
            "this expression nests too deeply: more than {MAX_DEPTH} levels of operators \
             and brackets (write long sums as reductions, e.g. `sum(i in -8..=8) {{ x[i] }}`)"
        );
        return (
            ast::File { items: Vec::new() },
            vec![Diagnostic::new(msg, span)],
        );
    }
    match grammar::FileParser::new().parse(Lexer::new(src)) {
        Ok(file) => (file, Vec::new()),
        Err(err) => (ast::File { items: Vec::new() }, vec![diagnose(src, err)]),
    }
}

/// The longest kernel source accepted.
pub const MAX_SOURCE_BYTES: usize = 1 << 20;

/// The deepest syntax tree accepted, as estimated by `too_deep`. Every pass
/// after parsing recurses over the tree; this bound keeps their stack use
/// (and the tree's drop) small on any thread.
pub const MAX_DEPTH: usize = 512;

/// Where the source first exceeds `MAX_DEPTH`, estimated from tokens alone
/// (before any tree is built): the depth of a bracketed group is at most the
/// operators and keywords directly in one of its statements, plus one, plus
/// its deepest inner group. A chain `a + b + c` is as deep as it is long,
/// so long sums count; `let` statements and top-level items are siblings.
fn too_deep(src: &str) -> Option<Span> {
    #[derive(Default)]
    struct Group {
        /// Operators and keywords in the current statement.
        ops: usize,
        /// Deepest inner group of the current statement.
        inner: usize,
        /// Deepest finished statement.
        done: usize,
    }
    impl Group {
        fn depth(&self) -> usize {
            self.done.max(self.ops + 1 + self.inner)
        }
        fn next_statement(&mut self) {
            self.done = self.depth();
            self.ops = 0;
            self.inner = 0;
        }
    }
    let mut stack = vec![Group::default()];
    for item in Lexer::new(src) {
        let Ok((l, tok, r)) = item else {
            // The parser reports lexical errors.
            return None;
        };
        let top = stack.len() - 1;
        match tok {
            Tok::LParen | Tok::LBracket | Tok::LBrace => stack.push(Group::default()),
            Tok::RParen | Tok::RBracket | Tok::RBrace if top > 0 => {
                let depth = stack.pop().expect("top > 0").depth();
                let parent = stack.last_mut().expect("top > 0");
                parent.inner = parent.inner.max(depth);
            }
            Tok::Semi => stack[top].next_statement(),
            Tok::Kernel | Tok::Const if top == 0 => stack[top].next_statement(),
            Tok::Comma | Tok::Ident(_) | Tok::Int(_) | Tok::Float(_) => {}
            _ => stack[top].ops += 1,
        }
        if stack.last().is_some_and(|g| g.depth() > MAX_DEPTH) {
            return Some(Span::new(l, r));
        }
    }
    None
}

fn diagnose(src: &str, err: ParseError<usize, Tok<'_>, LexError>) -> Diagnostic {
    match err {
        ParseError::User { error } => Diagnostic::new(error.message, error.span),
        ParseError::InvalidToken { location } => {
            Diagnostic::new("invalid token", Span::new(location, location))
        }
        ParseError::UnrecognizedEof { location, expected } => {
            let span = Span::new(location, location);
            let what = expected_list(&expected);
            let msg = if what.is_empty() {
                "unexpected end of input".to_string()
            } else {
                format!("unexpected end of input; expected {what}")
            };
            Diagnostic::new(msg, span).with_label("input ends here")
        }
        ParseError::UnrecognizedToken {
            token: (l, tok, r),
            expected,
        } => {
            let span = Span::new(l, r);
            let found = src.get(l..r).unwrap_or_default();
            // A comparison right after a complete operand (where `and` could
            // go) can only be a second comparison in a chain.
            if tok.is_comparison() && expected.iter().any(|e| e == "\"and\"") {
                return Diagnostic::new("comparison operators cannot be chained", span)
                    .with_label("second comparison")
                    .with_note("help: write `a < b and b < c`, or add parentheses");
            }
            let what = expected_list(&expected);
            let msg = if what.is_empty() {
                format!("unexpected `{found}`")
            } else {
                format!("expected {what}; found `{found}`")
            };
            Diagnostic::new(msg, span).with_label("unexpected here")
        }
        ParseError::ExtraToken { token: (l, _, r) } => {
            let found = src.get(l..r).unwrap_or_default();
            Diagnostic::new(
                format!("unexpected `{found}` after the end"),
                Span::new(l, r),
            )
        }
    }
}

/// Tokens that can start an expression; listed as "an expression" when they
/// are all expected.
const EXPR_START: &[&str] = &[
    "identifier",
    "integer",
    "float",
    "true",
    "false",
    "(",
    "-",
    "~",
    "not",
    "if",
];

/// Binary operators; listed as "an operator" when most are expected.
const BINARY_OPS: &[&str] = &[
    "or", "and", "==", "!=", "<", "<=", ">", ">=", "|", "^", "&", "<<", ">>", "+", "-", "*", "/",
    "//", "%", "**",
];

/// Renders lalrpop's expected-terminal names (`"\")\""`, `"\"identifier\""`)
/// as a short, sorted, readable list: "`)`, `,` or an operator".
fn expected_list(expected: &[String]) -> String {
    let mut names: Vec<&str> = expected
        .iter()
        .map(|e| e.trim_matches('"'))
        .collect::<Vec<_>>();
    let mut groups = Vec::new();
    if names.contains(&"identifier") && names.contains(&"integer") && names.contains(&"(") {
        names.retain(|n| !EXPR_START.contains(n));
        groups.push("an expression");
    }
    if names.contains(&"+") && names.contains(&"*") {
        names.retain(|n| !BINARY_OPS.contains(n));
        groups.push("an operator");
    }
    names.sort_unstable();
    names.dedup();
    let mut parts: Vec<String> = names
        .iter()
        .map(|n| match *n {
            "identifier" => "a name".to_string(),
            "integer" => "an integer".to_string(),
            "float" => "a float".to_string(),
            n => format!("`{n}`"),
        })
        .collect();
    parts.extend(groups.iter().map(|g| g.to_string()));
    match parts.len() {
        0 => String::new(),
        1 => parts.remove(0),
        _ => format!("one of {}", parts.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::ast::{ExprKind, Item};
    use super::*;

    fn body(src: &str) -> ast::Block {
        let (file, diags) = parse(src);
        assert!(diags.is_empty(), "{diags:?}");
        match file.items.into_iter().next() {
            Some(Item::Kernel(k)) => k.body,
            other => panic!("not a kernel: {other:?}"),
        }
    }

    fn text(src: &str, span: Span) -> &str {
        &src[span.start..span.end]
    }

    #[test]
    fn spans_cover_source_text() {
        let src = "kernel k(x) { let a = -x[0] ** 2; (a + 1) * sum(i in 0..=1) { x[i] } }";
        let b = body(src);
        assert_eq!(
            text(src, b.span),
            "{ let a = -x[0] ** 2; (a + 1) * sum(i in 0..=1) { x[i] } }"
        );
        assert_eq!(text(src, b.lets[0].span), "let a = -x[0] ** 2;");
        assert_eq!(text(src, b.lets[0].value.span), "-x[0] ** 2");
        let ExprKind::Binary { lhs, rhs, .. } = &b.value.kind else {
            panic!("{:?}", b.value)
        };
        // Parentheses group without a node of their own.
        assert_eq!(text(src, lhs.span), "a + 1");
        assert_eq!(text(src, rhs.span), "sum(i in 0..=1) { x[i] }");
        let ExprKind::Reduce { vars, .. } = &rhs.kind else {
            panic!("{rhs:?}")
        };
        assert_eq!(text(src, vars[0].span), "i in 0..=1");
    }

    #[test]
    fn else_if_block_is_spanned_like_its_if() {
        let src = "kernel k(x) { if x { 1 } else if x { 2 } else { 3 } }";
        let b = body(src);
        let ExprKind::If { otherwise, .. } = &b.value.kind else {
            panic!("{:?}", b.value)
        };
        assert!(otherwise.lets.is_empty());
        assert_eq!(text(src, otherwise.span), "if x { 2 } else { 3 }");
        assert_eq!(otherwise.value.span, otherwise.span);
    }

    #[test]
    fn errors_point_at_the_token_or_the_end() {
        let (file, diags) = parse("kernel k(x) { x[0] ]");
        assert!(file.items.is_empty());
        assert_eq!(diags[0].span, Span::new(19, 20));
        let (_, diags) = parse("kernel k(x) { x[0]");
        assert_eq!(diags[0].span, Span::new(18, 18));
        assert!(diags[0].message.starts_with("unexpected end of input"));
    }

    #[test]
    fn expected_lists_are_short_and_sorted() {
        let names = |v: &[&str]| v.iter().map(|s| format!("\"{s}\"")).collect::<Vec<_>>();
        assert_eq!(expected_list(&names(&[")", ","])), "one of `)`, `,`");
        assert_eq!(expected_list(&names(&["identifier"])), "a name");
        let mut all: Vec<&str> = EXPR_START.to_vec();
        all.push("]");
        assert_eq!(expected_list(&names(&all)), "one of `]`, an expression");
    }
}
