//! The front end: text to syntax tree.
//!
//! `parse` never fails and never panics: it returns the tree it could build
//! and a list of diagnostics. It reads on after an error: a bad piece of
//! text is reported and skipped, and the grammar recovers at the end of a
//! `let`, a block or an item (see grammar/stn.lalrpop), so a file with three
//! mistakes shows three.

pub mod ast;
pub mod dump;
pub mod fmt;
mod hints;
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
/// source's items; otherwise it holds the items that could be read (with
/// `false` for a block value that could not), and the diagnostics point at
/// each offending token (or the end of input), in source order.
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
    let (tokens, mut diags) = tokens(src);
    let mut recovered = Vec::new();
    let stream = tokens.iter().map(|&t| Ok::<_, LexError>(t));
    let file = match grammar::FileParser::new().parse(&mut recovered, stream) {
        Ok(file) => file,
        Err(err) => {
            recovered.push(lalrpop_util::ErrorRecovery {
                error: err,
                dropped_tokens: Vec::new(),
            });
            ast::File { items: Vec::new() }
        }
    };
    let lexed: Vec<Span> = diags.iter().map(|d| d.span).collect();
    let mut errors: Vec<_> = recovered.into_iter().map(|r| r.error).collect();
    errors.sort_by_key(location);
    let mut last: Option<usize> = None;
    for err in errors {
        let at = location(&err);
        if !echo(&tokens, &lexed, last, &err) {
            diags.push(diagnose(src, &tokens, err));
        }
        last = Some(at);
    }
    diags.sort_by_key(|d| (d.span.start, d.span.end));
    // Two errors at one place are one mistake seen twice by the recovery.
    diags.dedup_by_key(|d| d.span.start);
    diags.truncate(MAX_ERRORS);
    (file, diags)
}

/// The name after every `kernel` and `const` keyword of `src`, read from
/// the tokens alone: also the items a syntax error kept out of the tree,
/// whose names the checker must not report as unknown where they are used.
pub fn declared_names(src: &str) -> Vec<ast::Ident> {
    let (tokens, _) = tokens(src);
    (tokens.windows(2))
        .filter_map(|w| match (&w[0].1, &w[1]) {
            (Tok::Kernel | Tok::Const, &(l, Tok::Ident(name), r)) => Some(ast::Ident {
                name: name.to_string(),
                span: Span::new(l, r),
            }),
            _ => None,
        })
        .collect()
}

/// Where a syntax error is.
fn location(err: &ParseError<usize, Tok<'_>, LexError>) -> usize {
    match *err {
        ParseError::InvalidToken { location } | ParseError::UnrecognizedEof { location, .. } => {
            location
        }
        ParseError::UnrecognizedToken { token: (l, ..), .. }
        | ParseError::ExtraToken { token: (l, ..) } => l,
        ParseError::User { ref error } => error.span.start,
    }
}

/// True for a syntax error that only echoes an earlier one: the token right
/// after a stray character (the character was the mistake), or a token
/// where an item should start, before any `kernel` or `const` since the
/// last error (the rest of an item the recovery gave up on).
fn echo(
    tokens: &[(usize, Tok<'_>, usize)],
    lexed: &[Span],
    last: Option<usize>,
    err: &ParseError<usize, Tok<'_>, LexError>,
) -> bool {
    let at = location(err);
    let after_stray = lexed.iter().any(|s| {
        let next = tokens.partition_point(|t| t.0 < s.end);
        tokens.get(next).is_some_and(|t| t.0 == at)
    });
    let item_level = match err {
        ParseError::UnrecognizedToken { expected, .. } => expected
            .iter()
            .all(|e| e == "\"const\"" || e == "\"kernel\""),
        _ => false,
    };
    let item_since_last = last.is_some_and(|from| {
        tokens
            .iter()
            .any(|t| t.0 >= from && t.0 < at && matches!(t.1, Tok::Kernel | Tok::Const))
    });
    after_stray || (item_level && last.is_some() && !item_since_last)
}

/// The most syntax errors reported for one file; past a few, the rest are
/// mostly echoes of the first ones.
pub const MAX_ERRORS: usize = 20;

/// The tokens of `src`, and a diagnostic for each piece of text that is not
/// one. A bad piece is reported and read as what it was meant to be (a
/// literal too large as `0`) or skipped (a stray character), so parsing
/// goes on and later mistakes are found too.
fn tokens(src: &str) -> (Vec<(usize, Tok<'_>, usize)>, Vec<Diagnostic>) {
    let mut tokens = Vec::new();
    let mut diags = Vec::new();
    for item in Lexer::new(src) {
        match item {
            Ok(t) => tokens.push(t),
            Err(e) => {
                let (l, r) = (e.span.start, e.span.end);
                if e.message.starts_with("integer") {
                    tokens.push((l, Tok::Int(0), r));
                } else if e.message.starts_with("float") {
                    tokens.push((l, Tok::Float(0.0), r));
                }
                diags.push(Diagnostic::new(e.message, e.span));
            }
        }
    }
    (tokens, diags)
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

fn diagnose(
    src: &str,
    tokens: &[(usize, Tok<'_>, usize)],
    err: ParseError<usize, Tok<'_>, LexError>,
) -> Diagnostic {
    let diag = message(src, &err);
    match err {
        ParseError::UnrecognizedToken {
            token: (l, _, _),
            expected,
        }
        | ParseError::UnrecognizedEof {
            location: l,
            expected,
        } => hints::add(diag, src, tokens, l, &expected),
        _ => diag,
    }
}

/// The diagnostic for one syntax error, before hints.
fn message(src: &str, err: &ParseError<usize, Tok<'_>, LexError>) -> Diagnostic {
    match *err {
        ParseError::User { ref error } => Diagnostic::new(error.message.clone(), error.span),
        ParseError::InvalidToken { location } => {
            Diagnostic::new("invalid token", Span::new(location, location))
        }
        ParseError::UnrecognizedEof {
            location,
            ref expected,
        } => {
            let span = Span::new(location, location);
            let what = expected_list(expected);
            let msg = if what.is_empty() {
                "unexpected end of input".to_string()
            } else {
                format!("unexpected end of input; expected {what}")
            };
            Diagnostic::new(msg, span).with_label("input ends here")
        }
        ParseError::UnrecognizedToken {
            token: (l, tok, r),
            ref expected,
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
            let what = expected_list(expected);
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
