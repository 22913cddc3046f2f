//! Hints added to a syntax error where the parser's own words ("expected
//! `;`; found `a`") would point at the wrong place or miss the likely
//! mistake: a `;` left off at the end of a line, a bracket never closed, a
//! `=` written for `==`, a `//` comment (stn's comments start with `#`).

use super::token::Tok;
use crate::base::diag::{Diagnostic, Span};

type Token<'src> = (usize, Tok<'src>, usize);

/// `diag` (a syntax error at byte `at`, where the parser expected one of
/// `expected`), improved where one of the hints applies.
pub fn add(
    diag: Diagnostic,
    src: &str,
    tokens: &[Token<'_>],
    at: usize,
    expected: &[String],
) -> Diagnostic {
    let expects = |t: &str| expected.iter().any(|e| e.trim_matches('"') == t);
    let here = tokens.partition_point(|t| t.0 < at);
    let found = tokens.get(here).filter(|t| t.0 == at).map(|t| t.1);
    if expects(";")
        && let Some(diag) = missing_semicolon(src, &tokens[..here], at)
    {
        return diag;
    }
    let diag = match unclosed(&tokens[..here]) {
        Some((opener, open_span)) if expects(closer(opener)) && found.is_none_or(ends_a_group) => {
            diag.with_related(open_span, format!("this `{opener}` is not closed"))
        }
        _ => diag,
    };
    if found == Some(Tok::SlashSlash) && starts_line(src, at) {
        return diag
            .with_label("`//` is floor division")
            .with_note("help: comments start with `#`: `# a comment`");
    }
    if found == Some(Tok::Assign) && expects("==") {
        return diag
            .with_label("did you mean `==`?")
            .with_note("help: `=` only names a value in `let`; to compare, write `==`");
    }
    diag
}

/// "missing `;`" at the end of the line before `at`, when the token the
/// parser stopped at starts a later line than the one before it: the `;`
/// belongs after that one, not before the next line's first word.
fn missing_semicolon(src: &str, before: &[Token<'_>], at: usize) -> Option<Diagnostic> {
    let &(l, _, r) = before.last()?;
    let gap = src.get(r..at)?;
    if !gap.contains('\n') {
        return None;
    }
    Some(
        Diagnostic::new("missing `;`", Span::new(l, r))
            .with_label("expected `;` after this")
            .with_note("help: each `let` ends with `;`")
            .with_fix("insert `;`", Span::new(r, r), ";"),
    )
}

/// True when only blanks come before byte `at` on its line.
fn starts_line(src: &str, at: usize) -> bool {
    let before = src.get(..at).unwrap_or_default();
    let line = before.rsplit('\n').next().unwrap_or_default();
    line.trim().is_empty()
}

/// The innermost bracket opened before the end of `before` and not closed
/// in it, with its span.
fn unclosed<'src>(before: &[Token<'src>]) -> Option<(Tok<'src>, Span)> {
    let mut open: Vec<(Tok<'src>, Span)> = Vec::new();
    for &(l, tok, r) in before {
        match tok {
            Tok::LParen | Tok::LBracket | Tok::LBrace => open.push((tok, Span::new(l, r))),
            Tok::RParen | Tok::RBracket | Tok::RBrace => {
                open.pop();
            }
            _ => {}
        }
    }
    open.pop()
}

/// The closing bracket of an opening one.
fn closer(opener: Tok<'_>) -> &'static str {
    match opener {
        Tok::LParen => ")",
        Tok::LBracket => "]",
        _ => "}",
    }
}

/// A token that ends whatever group is open: a closing bracket, the end of
/// a `let`, or the start of a new statement or item.
fn ends_a_group(tok: Tok<'_>) -> bool {
    matches!(
        tok,
        Tok::RParen | Tok::RBracket | Tok::RBrace | Tok::Semi | Tok::Let | Tok::Kernel | Tok::Const
    )
}
