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

use crate::diag::{Diagnostic, Span};
use lalrpop_util::ParseError;
use lexer::{LexError, Lexer};
use token::Tok;

/// Parses a whole `.stn` file. With no diagnostics, the file is exactly the
/// source's items; otherwise it is empty and the one diagnostic points at the
/// offending token (or the end of input).
pub fn parse(src: &str) -> (ast::File, Vec<Diagnostic>) {
    match grammar::FileParser::new().parse(Lexer::new(src)) {
        Ok(file) => (file, Vec::new()),
        Err(err) => (ast::File { items: Vec::new() }, vec![diagnose(src, err)]),
    }
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
            if tok.is_comparison() && expected.iter().any(|e| e == "\"+\"") {
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
