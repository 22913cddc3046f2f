//! Adapts the `logos` lexer to the token stream lalrpop's external-lexer
//! interface expects: `(start, token, end)` triples, or a `LexError`.
//!
//! lalrpop's `User` error carries no location, so the span of a bad piece of
//! text travels inside `LexError` itself.

use super::token::{LexErrorKind, Tok};
use crate::base::diag::Span;
use logos::Logos;

/// A piece of source text that is not a token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexError {
    pub message: String,
    pub span: Span,
}

pub type Spanned<'src> = Result<(usize, Tok<'src>, usize), LexError>;

/// The token stream of one source text.
pub struct Lexer<'src> {
    inner: logos::SpannedIter<'src, Tok<'src>>,
    src: &'src str,
}

impl<'src> Lexer<'src> {
    pub fn new(src: &'src str) -> Lexer<'src> {
        Lexer {
            inner: Tok::lexer(src).spanned(),
            src,
        }
    }
}

impl<'src> Iterator for Lexer<'src> {
    type Item = Spanned<'src>;

    fn next(&mut self) -> Option<Spanned<'src>> {
        let (tok, range) = self.inner.next()?;
        Some(match tok {
            Ok(tok) => Ok((range.start, tok, range.end)),
            Err(kind) => Err(lex_error(self.src, kind, range)),
        })
    }
}

fn lex_error(src: &str, kind: LexErrorKind, range: std::ops::Range<usize>) -> LexError {
    match kind {
        LexErrorKind::UnexpectedChar => {
            // Point at the one character no token starts with, whatever logos
            // had consumed before giving up.
            let c = src
                .get(range.start..)
                .and_then(|rest| rest.chars().next())
                .unwrap_or('\u{FFFD}');
            let start = range.start;
            LexError {
                message: format!("unexpected character `{}`", c.escape_debug()),
                span: Span::new(start, start + c.len_utf8()),
            }
        }
        LexErrorKind::IntTooLarge => LexError {
            message: "integer literal too large".to_string(),
            span: Span::new(range.start, range.end),
        },
        LexErrorKind::FloatTooLarge => LexError {
            message: "float literal too large".to_string(),
            span: Span::new(range.start, range.end),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Result<Tok<'_>, String>> {
        Lexer::new(src)
            .map(|r| r.map(|(_, t, _)| t).map_err(|e| e.message))
            .collect()
    }

    #[test]
    fn ranges_and_floats() {
        assert_eq!(
            toks("-1..=3 1.5 1e-3 2.5E+4"),
            vec![
                Ok(Tok::Minus),
                Ok(Tok::Int(1)),
                Ok(Tok::DotDotEq),
                Ok(Tok::Int(3)),
                Ok(Tok::Float(1.5)),
                Ok(Tok::Float(1e-3)),
                Ok(Tok::Float(2.5e4)),
            ]
        );
    }

    #[test]
    fn keywords_comments_operators() {
        assert_eq!(
            toks("in inner # a comment ** //\n// ** <= <<"),
            vec![
                Ok(Tok::In),
                Ok(Tok::Ident("inner")),
                Ok(Tok::SlashSlash),
                Ok(Tok::StarStar),
                Ok(Tok::Le),
                Ok(Tok::Shl),
            ]
        );
    }

    #[test]
    fn errors_carry_spans() {
        let errs: Vec<_> = Lexer::new("a $ 99999999999999999999 é")
            .filter_map(Result::err)
            .collect();
        assert_eq!(errs.len(), 3);
        assert_eq!(errs[0].message, "unexpected character `$`");
        assert_eq!(errs[0].span, Span::new(2, 3));
        assert_eq!(errs[1].message, "integer literal too large");
        assert_eq!(errs[1].span, Span::new(4, 24));
        assert_eq!(errs[2].message, "unexpected character `é`");
        assert_eq!(errs[2].span, Span::new(25, 27));
    }

    #[test]
    fn i64_max_fits() {
        assert_eq!(toks("9223372036854775807"), vec![Ok(Tok::Int(i64::MAX))]);
    }
}
