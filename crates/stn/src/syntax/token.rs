//! The tokens of `.stn` source, recognised by a `logos` lexer.
//!
//! Whitespace and `#` comments are skipped here, so the grammar never sees
//! them. Integer literals are parsed to `i64` while lexing: a literal that does
//! not fit is a lexer error with the literal's span, not a later surprise.

use logos::Logos;
use std::fmt;

/// Why the `logos` lexer stopped on a piece of text. The adapter in
/// `lexer.rs` turns it into a `LexError` with a span and a message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LexErrorKind {
    /// No token starts here.
    #[default]
    UnexpectedChar,
    /// Decimal digits whose value does not fit in an `i64`.
    IntTooLarge,
    /// A float literal whose value overflows `f64`.
    FloatTooLarge,
}

#[derive(Logos, Clone, Copy, Debug, PartialEq)]
#[logos(error = LexErrorKind)]
#[logos(skip r"[ \t\r\n\f]+")]
#[logos(skip(r"#[^\n]*", allow_greedy = true))]
pub enum Tok<'src> {
    // Keywords.
    #[token("kernel")]
    Kernel,
    #[token("const")]
    Const,
    #[token("let")]
    Let,
    #[token("if")]
    If,
    #[token("else")]
    Else,
    #[token("in")]
    In,
    #[token("and")]
    And,
    #[token("or")]
    Or,
    #[token("not")]
    Not,
    #[token("true")]
    True,
    #[token("false")]
    False,
    #[token("boundary")]
    Boundary,

    // Punctuation.
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token(",")]
    Comma,
    #[token(";")]
    Semi,
    #[token(":")]
    Colon,
    #[token("=")]
    Assign,
    #[token("->")]
    Arrow,
    #[token("..=")]
    DotDotEq,

    // Operators.
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("//")]
    SlashSlash,
    #[token("%")]
    Percent,
    #[token("**")]
    StarStar,
    #[token("&")]
    Amp,
    #[token("|")]
    Pipe,
    #[token("^")]
    Caret,
    #[token("~")]
    Tilde,
    #[token("<<")]
    Shl,
    #[token(">>")]
    Shr,
    #[token("==")]
    EqEq,
    #[token("!=")]
    NotEq,
    #[token("<")]
    Lt,
    #[token("<=")]
    Le,
    #[token(">")]
    Gt,
    #[token(">=")]
    Ge,

    // Names and literals.
    #[regex("[A-Za-z_][A-Za-z0-9_]*")]
    Ident(&'src str),
    #[regex("[0-9]+", |lex| lex.slice().parse::<i64>().map_err(|_| LexErrorKind::IntTooLarge))]
    Int(i64),
    #[regex(r"[0-9]+\.[0-9]+([eE][+-]?[0-9]+)?", parse_float)]
    #[regex(r"[0-9]+[eE][+-]?[0-9]+", parse_float)]
    Float(f64),
}

fn parse_float<'src>(lex: &mut logos::Lexer<'src, Tok<'src>>) -> Result<f64, LexErrorKind> {
    // The regexes admit only well-formed literals, so parsing fails only by
    // overflowing to infinity (which Rust reports as `inf`, not an error).
    match lex.slice().parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(LexErrorKind::FloatTooLarge),
    }
}

impl fmt::Display for Tok<'_> {
    /// The token as the user would write it, for "found `...`" messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Tok::Ident(name) => return f.write_str(name),
            Tok::Int(v) => return write!(f, "{v}"),
            Tok::Float(v) => return write!(f, "{v:?}"),
            Tok::Kernel => "kernel",
            Tok::Const => "const",
            Tok::Let => "let",
            Tok::If => "if",
            Tok::Else => "else",
            Tok::In => "in",
            Tok::And => "and",
            Tok::Or => "or",
            Tok::Not => "not",
            Tok::True => "true",
            Tok::False => "false",
            Tok::Boundary => "boundary",
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::LBracket => "[",
            Tok::RBracket => "]",
            Tok::LBrace => "{",
            Tok::RBrace => "}",
            Tok::Comma => ",",
            Tok::Semi => ";",
            Tok::Colon => ":",
            Tok::Assign => "=",
            Tok::Arrow => "->",
            Tok::DotDotEq => "..=",
            Tok::Plus => "+",
            Tok::Minus => "-",
            Tok::Star => "*",
            Tok::Slash => "/",
            Tok::SlashSlash => "//",
            Tok::Percent => "%",
            Tok::StarStar => "**",
            Tok::Amp => "&",
            Tok::Pipe => "|",
            Tok::Caret => "^",
            Tok::Tilde => "~",
            Tok::Shl => "<<",
            Tok::Shr => ">>",
            Tok::EqEq => "==",
            Tok::NotEq => "!=",
            Tok::Lt => "<",
            Tok::Le => "<=",
            Tok::Gt => ">",
            Tok::Ge => ">=",
        };
        f.write_str(text)
    }
}

impl Tok<'_> {
    /// True for `== != < <= > >=`, which do not chain.
    pub fn is_comparison(&self) -> bool {
        matches!(
            self,
            Tok::EqEq | Tok::NotEq | Tok::Lt | Tok::Le | Tok::Gt | Tok::Ge
        )
    }
}
